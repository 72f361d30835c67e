"""The emulator's provider-neutral core: HTTP layer, control API, config, request log, faults and quota.

Nothing here names a vendor: everything about one vendor lives in its handler module under providers/.
"""
