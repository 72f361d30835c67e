"""The emulated CloudFront invalidation API: SigV4 checked (scope, key, token, the signature itself), XML in and out,
InProgress -> Completed, CallerReference semantics, the 3000-path batch and the in-progress limits, Throttling,
NoSuchDistribution, AccessDenied, and boto3 pointed at it."""

import time
import xml.etree.ElementTree as ET

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from emulator_kit import TIMEOUT

DIST = "E2QWRUHAPOMQZL"
KEY, SECRET = "AKIAEMULATORCLOUDFRONT", "emulatorCloudFrontSecret/0123456789+abcdefXYZ"
SESSION = ("ASIAEMULATORCLOUDFRONT", "emulatorCloudFrontSessionSecret/9876543210+zyx", "emulatorCloudFrontSessionToken0123456789abcdefghijklmnopqrstuvwxyz")
NS = "{http://cloudfront.amazonaws.com/doc/2020-05-31/}"
API = "/2020-05-31/distribution/%s/invalidation"


def batch(paths, reference="ref-1", quantity=None):
    items = "".join("<Path>%s</Path>" % path for path in paths)
    return (
        '<InvalidationBatch xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Paths><Quantity>%d</Quantity><Items>%s</Items></Paths>'
        "<CallerReference>%s</CallerReference></InvalidationBatch>" % (len(paths) if quantity is None else quantity, items, reference)
    ).encode()


def send(emulator, method, path, body=b"", credentials=(KEY, SECRET), region="us-east-1", service="cloudfront", headers=None, sign=True, **params):
    url = emulator.url(path)
    prepared = requests.Request(method, url, data=body or None, params=params or None, headers=headers or {}).prepare()
    if sign:
        aws = AWSRequest(method=method, url=prepared.url, data=body, headers={"Content-Type": "application/xml"} if body else {})
        SigV4Auth(Credentials(*credentials), service, region).add_auth(aws)
        prepared.headers.update({name: aws.headers[name] for name in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token") if name in aws.headers})
        if body:
            prepared.headers["Content-Type"] = "application/xml"
    with requests.Session() as session:
        return session.send(prepared, timeout=TIMEOUT)


def create(emulator, paths, reference="ref-1", dist=DIST, **kwargs):
    return send(emulator, "POST", API % dist, batch(paths, reference), **kwargs)


def root(response):
    return ET.fromstring(response.content)


def code(response):
    element = root(response)
    assert element.tag == NS + "ErrorResponse", response.text
    return element.find(NS + "Error/" + NS + "Code").text


def status_of(emulator, inv_id):
    return root(send(emulator, "GET", (API % DIST) + "/" + inv_id)).find(NS + "Status").text


# --------------------------------------------------------------------------- auth


def test_a_signed_create_is_201_with_location_and_the_invalidation(emulator):
    response = create(emulator, ["/img/a.png", "/css/*"])
    assert response.status_code == 201, response.text
    invalidation = root(response)
    inv_id = invalidation.find(NS + "Id").text
    assert invalidation.find(NS + "Status").text == "InProgress"
    assert response.headers["Location"].endswith(API % DIST + "/" + inv_id)
    assert [path.text for path in invalidation.iter(NS + "Path")] == ["/img/a.png", "/css/*"]
    (entry,) = emulator.log("cloudfront")
    assert (entry["accepted"], entry["request_id"], entry["purged"], entry["caller_reference"], entry["replayed"]) == (
        True,
        inv_id,
        ["/img/a.png", "/css/*"],
        "ref-1",
        False,
    )


@pytest.mark.parametrize(
    "kwargs, status, error",
    [
        ({"sign": False}, 403, "MissingAuthenticationToken"),
        ({"credentials": (KEY, "wrong-secret")}, 403, "SignatureDoesNotMatch"),
        ({"credentials": ("AKIAUNKNOWN", SECRET)}, 403, "InvalidClientTokenId"),
        ({"region": "eu-west-1"}, 403, "SignatureDoesNotMatch"),
        ({"service": "s3"}, 403, "SignatureDoesNotMatch"),
        ({"credentials": SESSION[:2]}, 403, "InvalidClientTokenId"),
        ({"credentials": (SESSION[0], SESSION[1], "wrong-token")}, 403, "InvalidClientTokenId"),
    ],
)
def test_bad_signatures_are_refused_before_anything_is_done(emulator, kwargs, status, error):
    response = create(emulator, ["/a.png"], **kwargs)
    assert response.status_code == status and code(response) == error
    assert not emulator.log("cloudfront")[0]["accepted"]


def test_a_body_changed_after_signing_is_refused(emulator):
    aws = AWSRequest(method="POST", url=emulator.url(API % DIST), data=batch(["/a.png"]), headers={})
    SigV4Auth(Credentials(KEY, SECRET), "cloudfront", "us-east-1").add_auth(aws)
    headers = {name: aws.headers[name] for name in ("Authorization", "X-Amz-Date")}
    response = requests.post(emulator.url(API % DIST), data=batch(["/b.png"]), headers=headers, timeout=TIMEOUT)
    assert response.status_code == 403 and code(response) == "SignatureDoesNotMatch"


def test_session_credentials_with_their_token(emulator):
    assert create(emulator, ["/a.png"], credentials=SESSION).status_code == 201


# --------------------------------------------------------------------------- bodies and paths


@pytest.mark.parametrize(
    "body, error",
    [
        (b"not xml", "MalformedXML"),
        (b"<InvalidationBatch><Paths><Quantity>1</Quantity></Paths></InvalidationBatch>", "MalformedInput"),
        (batch(["/a.png"], quantity=2), "InconsistentQuantities"),
        (batch(["/a.png"], reference=""), "MalformedInput"),
        (batch(["a.png"]), "InvalidArgument"),
        (batch(["/a/*.png"]), "InvalidArgument"),
        (batch(["/a b.png"]), "InvalidArgument"),
        (batch(["/café.png"]), "InvalidArgument"),
        (batch(["/" + "a" * 4000]), "InvalidArgument"),
    ],
)
def test_bad_batches_are_400(emulator, body, error):
    response = send(emulator, "POST", API % DIST, body)
    assert response.status_code == 400 and code(response) == error


def test_3000_paths_pass_and_3001_are_batch_too_large(emulator):
    emulator.config(cloudfront_max_in_progress_files=10000)
    assert create(emulator, ["/f%d" % index for index in range(3000)], "big").status_code == 201
    response = create(emulator, ["/g%d" % index for index in range(3001)], "bigger")
    assert response.status_code == 413 and code(response) == "BatchTooLarge"


def test_encoded_paths_and_tags_are_accepted(emulator):
    response = create(emulator, ["/caf%C3%A9.png", "/s?q=1&amp;r=2", "#release-42", "/*"])
    assert response.status_code == 201, response.text
    entry = emulator.log("cloudfront")[-1]
    assert entry["purged"] == ["/caf%C3%A9.png", "/s?q=1&r=2", "release-42", "/*"] and entry["purge_all"] is False


def test_unknown_distribution_is_no_such_distribution(emulator):
    response = create(emulator, ["/a.png"], dist="EUNKNOWNDIST01")
    assert response.status_code == 404 and code(response) == "NoSuchDistribution"


def test_denied_actions_are_access_denied(emulator):
    emulator.config(cloudfront_denied_actions=["CreateInvalidation"])
    response = create(emulator, ["/a.png"])
    assert response.status_code == 403 and code(response) == "AccessDenied" and "cloudfront:CreateInvalidation" in response.text
    assert send(emulator, "GET", API % DIST).status_code == 200


# --------------------------------------------------------------------------- caller references, status, list


def test_the_same_reference_and_paths_answer_the_same_invalidation(emulator):
    first = root(create(emulator, ["/a.png", "/b.png"], "release-1")).find(NS + "Id").text
    again = create(emulator, ["/b.png", "/a.png"], "release-1")
    assert again.status_code == 201 and root(again).find(NS + "Id").text == first
    assert [entry["replayed"] for entry in emulator.log("cloudfront")] == [False, True]
    listed = root(send(emulator, "GET", API % DIST)).find(NS + "Quantity").text
    assert listed == "1"
    other = create(emulator, ["/c.png"], "release-1")
    assert other.status_code == 400 and code(other) == "InvalidArgument" and "caller reference that was used" in other.text


def test_in_progress_then_completed(emulator):
    emulator.config(cloudfront_complete_after=0.5)
    inv_id = root(create(emulator, ["/a.png"])).find(NS + "Id").text
    assert status_of(emulator, inv_id) == "InProgress"
    time.sleep(0.6)
    assert status_of(emulator, inv_id) == "Completed"
    missing = send(emulator, "GET", (API % DIST) + "/INOTTHERE00000")
    assert missing.status_code == 404 and code(missing) == "NoSuchInvalidation"


def test_complete_control_marks_every_invalidation_completed(emulator):
    emulator.config(cloudfront_complete_after=600)
    inv_id = root(create(emulator, ["/a.png"])).find(NS + "Id").text
    assert requests.post(emulator.url("/_emulator/complete"), timeout=TIMEOUT).json()["completed"] >= 1
    assert status_of(emulator, inv_id) == "Completed"


def test_the_list_is_newest_first_and_pages(emulator):
    ids = [root(create(emulator, ["/%d.png" % index], "ref-%d" % index)).find(NS + "Id").text for index in range(3)]
    page = root(send(emulator, "GET", API % DIST, MaxItems="2"))
    assert [item.text for item in page.iter(NS + "Id")] == ids[::-1][:2]
    assert page.find(NS + "IsTruncated").text == "true" and page.find(NS + "NextMarker").text == ids[1]
    rest = root(send(emulator, "GET", API % DIST, MaxItems="2", Marker=ids[1]))
    assert [item.text for item in rest.iter(NS + "Id")] == ids[:1]
    assert send(emulator, "GET", API % DIST, Other="1").status_code == 400


# --------------------------------------------------------------------------- limits and throttling


def test_15_wildcards_in_progress_then_too_many(emulator):
    emulator.config(cloudfront_complete_after=600)
    assert create(emulator, ["/w%d/*" % index for index in range(15)], "w").status_code == 201
    refused = create(emulator, ["/x/*"], "x")
    assert refused.status_code == 400 and code(refused) == "TooManyInvalidationsInProgress"
    assert create(emulator, ["/plain.png"], "plain").status_code == 201  # file paths have their own limit
    requests.post(emulator.url("/_emulator/complete"), timeout=TIMEOUT)
    assert create(emulator, ["/x/*"], "x").status_code == 201


def test_3000_file_paths_in_progress_then_too_many(emulator):
    emulator.config(cloudfront_complete_after=600, cloudfront_max_in_progress_files=3)
    assert create(emulator, ["/1", "/2"], "a").status_code == 201
    refused = create(emulator, ["/3", "/4"], "b")
    assert refused.status_code == 400 and code(refused) == "TooManyInvalidationsInProgress"


def test_throttling_is_400_rate_exceeded_and_not_processed(emulator):
    emulator.config(cloudfront_throttle_next=1)
    response = create(emulator, ["/a.png"])
    assert response.status_code == 400 and code(response) == "Throttling" and "Rate exceeded" in response.text
    assert not emulator.log("cloudfront")[0]["accepted"]
    assert create(emulator, ["/a.png"]).status_code == 201


# --------------------------------------------------------------------------- boto3


def test_boto3_creates_gets_and_lists_invalidations(emulator):
    boto3 = pytest.importorskip("boto3")
    client = boto3.client("cloudfront", endpoint_url=emulator.base, region_name="us-east-1", aws_access_key_id=KEY, aws_secret_access_key=SECRET)
    made = client.create_invalidation(DistributionId=DIST, InvalidationBatch={"Paths": {"Quantity": 2, "Items": ["/a.png", "/b/*"]}, "CallerReference": "boto"})
    inv_id = made["Invalidation"]["Id"]
    assert made["Invalidation"]["Status"] == "InProgress" and made["Location"].endswith(inv_id)
    got = client.get_invalidation(DistributionId=DIST, Id=inv_id)["Invalidation"]
    assert got["InvalidationBatch"]["Paths"]["Items"] == ["/a.png", "/b/*"] and got["InvalidationBatch"]["CallerReference"] == "boto"
    listed = client.list_invalidations(DistributionId=DIST)["InvalidationList"]
    assert [item["Id"] for item in listed["Items"]] == [inv_id]
    wrong = boto3.client("cloudfront", endpoint_url=emulator.base, region_name="us-east-1", aws_access_key_id=KEY, aws_secret_access_key="wrong")
    with pytest.raises(Exception, match="SignatureDoesNotMatch"):  # noqa: B017,PT011 - botocore's ClientError, named by its code
        wrong.list_invalidations(DistributionId=DIST)
