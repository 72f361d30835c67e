"""The emulated vendors: one handler module each (see core/registry.py for what a module defines).

Adding a vendor = its handler module here and one entry in HANDLERS. Handlers are written from the vendors'
documentation and never import the collection's code (plugins/).
"""

from . import akamai, bunny, cloudflare, cloudfront, fastly, fivecentscdn, gcore, gotipath, imagekit, imagemash

HANDLERS = (imagekit, imagemash, fivecentscdn, gotipath, cloudflare, fastly, bunny, gcore, akamai, cloudfront)
