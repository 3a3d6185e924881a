"""The creative API through the service's HTTP surface, with the identity the gateway signs."""

import hashlib
import uuid
from urllib.parse import parse_qs, urlsplit


async def test_a_merchant_starts_a_job_follows_it_and_downloads_its_assets(creative):
    ws = uuid.uuid4()
    product = await creative.product(ws, name="Oud perfume", price="149.00")
    started = await creative.start_job(ws, [product], language="ar", variants=2,
                                       modalities={"copy": True, "images": ["1:1", "9:16"]})
    assert started.status_code == 202, started.text
    assert started.headers["location"].endswith(started.json()["id"])
    assert started.json()["status"] == "queued"

    job = await creative.finished(ws, started.json()["id"])
    assert job["status"] == "succeeded", job
    assert [s["status"] for s in job["steps"]] == ["done"] * 3
    assert job["providers"] == ["offline"] and job["cost"] == {"amount": "0.000000", "currency": "USD"}
    assert job["copies"] and all(c["language"] == "ar" and c["platform"] == "meta" for c in job["copies"])
    images = {a["format"]: a for a in job["assets"]}
    assert set(images) == {"1:1", "9:16"} and images["9:16"]["height"] == 1920

    asset = images["1:1"]
    path = urlsplit(asset["url"])
    fetched = await creative.client.get(f"{path.path}?{path.query}")  # no identity: the signature is enough
    assert fetched.status_code == 200
    assert hashlib.sha256(fetched.content).hexdigest() == asset["sha256"]
    assert fetched.headers["content-type"] == asset["media_type"]
    assert fetched.headers["cache-control"].startswith("private, max-age=")
    head = await creative.client.head(f"{path.path}?{path.query}")
    assert head.status_code == 200 and head.headers["content-length"] == str(asset["bytes"]) and not head.content


async def test_an_expired_or_forged_asset_link_is_refused(creative):
    ws = uuid.uuid4()
    product = await creative.product(ws)
    started = await creative.start_job(ws, [product], modalities={"copy": False, "images": ["1:1"]})
    job = await creative.finished(ws, started.json()["id"])
    url = urlsplit(job["assets"][0]["url"])
    query = parse_qs(url.query)
    asset_id = url.path.rsplit("/", 1)[1]

    forged = await creative.client.get(f"{url.path}?expires={query['expires'][0]}&signature=AAAA{query['signature'][0][4:]}")
    assert forged.status_code == 403 and forged.json()["code"] == "link-forged"
    longer = await creative.client.get(f"{url.path}?expires={int(query['expires'][0]) + 3600}&signature={query['signature'][0]}")
    assert longer.status_code == 403
    expired_url, _ = creative.adapters.signer.url(uuid.UUID(asset_id), now=0)  # signed long ago, expired since
    expired = await creative.client.get(expired_url)
    assert expired.status_code == 403 and expired.json()["code"] == "link-expired"
    assert expired.headers["content-type"] == "application/problem+json"


async def test_outsiders_get_404_and_analysts_cannot_generate(creative):
    ws = uuid.uuid4()
    product = await creative.product(ws)
    path = f"/v1/workspaces/{ws}/creatives/jobs"
    body = {"product_ids": [str(product)], "platforms": ["meta"], "language": "en"}
    other_workspace = await creative.client.post(path, json=body, headers=creative.identity(uuid.uuid4()))
    assert other_workspace.status_code == 404
    not_a_member = await creative.client.get(path, headers=creative.identity(ws, role=None))
    assert not_a_member.status_code == 404
    analyst = await creative.client.post(path, json=body, headers=creative.identity(ws, "analyst"))
    assert analyst.status_code == 403
    no_identity = await creative.client.get(path)
    assert no_identity.status_code == 401


async def test_a_request_for_an_unknown_product_or_with_a_typo_is_a_problem_with_its_field(creative):
    ws = uuid.uuid4()
    path = f"/v1/workspaces/{ws}/creatives/jobs"
    unknown = await creative.client.post(path, json={"product_ids": [str(uuid.uuid4())], "platforms": ["meta"],
                                                     "language": "en"}, headers=creative.identity(ws))
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["path"] == "body/product_ids/0"
    typo = await creative.client.post(path, json={"product_ids": [str(uuid.uuid4())], "platforms": ["meta"],
                                                  "language": "en", "variantz": 2}, headers=creative.identity(ws))
    assert typo.status_code == 422 and typo.headers["content-type"] == "application/problem+json"
    assert typo.json()["errors"][0]["path"] == "body/variantz"


async def test_jobs_are_listed_newest_first_in_clamped_pages(creative):
    ws = uuid.uuid4()
    product = await creative.product(ws)
    ids = []
    for _ in range(3):
        response = await creative.start_job(ws, [product], modalities={"copy": True, "images": []})
        ids.append(response.json()["id"])
    headers = creative.identity(ws, "analyst")
    first = (await creative.client.get(f"/v1/workspaces/{ws}/creatives/jobs?limit=2", headers=headers)).json()
    assert [j["id"] for j in first["items"]] == ids[::-1][:2] and first["next"]
    rest = (await creative.client.get(f"/v1/workspaces/{ws}/creatives/jobs?limit=2&after={first['next']}",
                                      headers=headers)).json()
    assert [j["id"] for j in rest["items"]] == ids[:1] and rest["next"] is None
    clamped = await creative.client.get(f"/v1/workspaces/{ws}/creatives/jobs?limit=100000", headers=headers)
    assert clamped.status_code == 200 and len(clamped.json()["items"]) == 3


async def test_the_brand_kit_is_saved_with_its_logo_and_reaches_the_jobs(creative):
    import base64

    from .conftest import photo_bytes

    ws = uuid.uuid4()
    logo = photo_bytes((10, 20, 30), (200, 100))
    kit = {"name": "Dar Oud", "tone": "luxurious", "words_to_avoid": ["cheap", "رخيص"], "primary_colour": "#112233",
           "default_language": "ar", "logo": base64.b64encode(logo).decode()}
    saved = await creative.client.put(f"/v1/workspaces/{ws}/brand-kit", json=kit, headers=creative.identity(ws, "marketer"))
    assert saved.status_code == 200, saved.text
    assert saved.json()["name"] == "Dar Oud" and saved.json()["logo_url"]
    url = urlsplit(saved.json()["logo_url"])
    assert (await creative.client.get(f"{url.path}?{url.query}")).content == logo

    kept = await creative.client.put(f"/v1/workspaces/{ws}/brand-kit", json={"name": "Dar Oud 2"},
                                     headers=creative.identity(ws))
    assert kept.json()["logo_url"] and kept.json()["words_to_avoid"] == []
    bad = await creative.client.put(f"/v1/workspaces/{ws}/brand-kit", json={"name": "x", "primary_colour": "red"},
                                    headers=creative.identity(ws))
    assert bad.status_code == 422 and bad.json()["errors"][0]["path"] == "body/primary_colour"
    not_image = await creative.client.put(f"/v1/workspaces/{ws}/brand-kit",
                                          json={"name": "x", "logo": base64.b64encode(b"hello").decode()},
                                          headers=creative.identity(ws))
    assert not_image.status_code == 422 and not_image.json()["errors"][0]["path"] == "body/logo"


async def test_settings_set_the_provider_order_and_limits_and_only_managers_change_them(creative):
    ws = uuid.uuid4()
    path = f"/v1/workspaces/{ws}/creatives/settings"
    defaults = (await creative.client.get(path, headers=creative.identity(ws, "analyst"))).json()
    assert defaults["routing"] == {"text": ["offline"], "image": ["offline"], "speech": ["offline"]}
    body = {"routing": {"text": ["anthropic", "offline"]}, "monthly_job_quota": 7, "monthly_spend_cap_usd": "12.50"}
    marketer = await creative.client.put(path, json=body, headers=creative.identity(ws, "marketer"))
    assert marketer.status_code == 403
    saved = await creative.client.put(path, json=body, headers=creative.identity(ws, "admin"))
    assert saved.status_code == 200, saved.text
    assert saved.json()["monthly_job_quota"] == 7 and saved.json()["configured_routing"]["text"] == ["anthropic", "offline"]
    wrong = await creative.client.put(path, json={"routing": {"text": ["stability"]}}, headers=creative.identity(ws))
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["path"] == "body/routing/text/0"
    usage = (await creative.client.get(f"/v1/workspaces/{ws}/creatives/usage", headers=creative.identity(ws))).json()
    assert usage["quota"] == 7 and usage["jobs"] == 0 and usage["cap"]["amount"] == "12.50"


async def test_a_job_beyond_the_quota_is_refused_by_the_api_with_a_402_problem(creative):
    ws = uuid.uuid4()
    product = await creative.product(ws)
    await creative.client.put(f"/v1/workspaces/{ws}/creatives/settings", json={"monthly_job_quota": 1},
                              headers=creative.identity(ws))
    first = await creative.start_job(ws, [product], modalities={"copy": True, "images": []})
    assert first.status_code == 202
    second = await creative.start_job(ws, [product], modalities={"copy": True, "images": []})
    assert second.status_code == 402 and second.json()["code"] == "quota-exhausted"
    assert second.json()["detail"].startswith("Monthly quota of 1 creative jobs used up")
    listed = (await creative.client.get(f"/v1/workspaces/{ws}/creatives/jobs", headers=creative.identity(ws))).json()
    assert len(listed["items"]) == 1  # the refused request left no job behind


async def test_a_collection_of_products_gets_copy_and_images_for_each(creative):
    ws = uuid.uuid4()
    products = [await creative.product(ws, name=n, price=p) for n, p in (("Oud", "149.00"), ("Musk", "89.50"))]
    started = await creative.start_job(ws, products, platforms=["meta", "tiktok"],
                                       modalities={"copy": True, "images": ["1:1"]})
    job = await creative.finished(ws, started.json()["id"])
    assert job["status"] == "succeeded" and job["steps_total"] == 6
    assert {(c["product_id"], c["platform"]) for c in job["copies"]} == {
        (str(p), platform) for p in products for platform in ("meta", "tiktok")}
    assert sorted(a["product_id"] for a in job["assets"]) == sorted(str(p) for p in products)
    succeeded = await creative.client.get(f"/v1/workspaces/{ws}/creatives/jobs?status=succeeded",
                                          headers=creative.identity(ws))
    assert [j["id"] for j in succeeded.json()["items"]] == [job["id"]]
    failed = await creative.client.get(f"/v1/workspaces/{ws}/creatives/jobs?status=failed", headers=creative.identity(ws))
    assert failed.json()["items"] == []
