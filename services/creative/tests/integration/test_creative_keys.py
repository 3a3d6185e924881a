"""Provider keys: sealed at rest, used for the workspace's calls, never returned, logged or published."""

import logging
import uuid

import pytest
from sqlalchemy import text

from adly_kit.crypto import DecryptionFailed
from tests.fakes.openai import FakeOpenAI

RAW = "sk-proj-Secret" + uuid.uuid4().hex


async def test_a_workspace_key_is_sealed_used_for_its_calls_and_appears_nowhere_in_clear(start_creative, caplog):
    caplog.set_level(logging.DEBUG)
    with FakeOpenAI(api_key=RAW) as openai:
        async with start_creative(openai_base_url=f"{openai.url}/v1") as creative:
            ws = uuid.uuid4()
            put = await creative.client.put(f"/v1/workspaces/{ws}/creatives/provider-keys/openai",
                                            json={"api_key": RAW}, headers=creative.identity(ws, "admin"))
            assert put.status_code == 204 and not put.content
            marketer = await creative.client.put(f"/v1/workspaces/{ws}/creatives/provider-keys/openai",
                                                 json={"api_key": RAW}, headers=creative.identity(ws, "marketer"))
            assert marketer.status_code == 403

            product = await creative.product(ws)
            started = await creative.start_job(ws, [product], modalities={"copy": True, "images": []})
            job = await creative.finished(ws, started.json()["id"])
            assert job["status"] == "succeeded" and job["providers"] == ["openai"], job
            assert openai.requests[-1].headers["authorization"] == f"Bearer {RAW}"  # opened and used

            settings = await creative.client.get(f"/v1/workspaces/{ws}/creatives/settings", headers=creative.identity(ws))
            assert settings.json()["provider_keys"] == [
                {"provider": "openai", "source": "workspace", "updated_at": settings.json()["provider_keys"][0]["updated_at"]}]
            assert settings.json()["routing"]["text"] == ["openai", "offline"]
            assert RAW not in settings.text and RAW not in job.__repr__()

            sealed = await creative.scalar("SELECT sealed FROM {s}.provider_keys WHERE workspace_id = :w", w=ws)
            assert sealed and RAW not in sealed
            tables = [r[0] for r in await creative.rows(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = :s", s=creative.schema)]
            for table in tables:
                found = await creative.scalar(f"SELECT count(*) FROM {{s}}.{table} t WHERE t::text LIKE :raw",
                                              raw=f"%{RAW}%")
                assert found == 0, f"the raw key is in {table}"

            other = uuid.uuid4()  # a sealed key copied to another workspace does not open there
            async with creative.runtime.engine.begin() as tx:
                await tx.execute(text(f"""INSERT INTO {creative.schema}.provider_keys (workspace_id, provider, sealed)
                    SELECT :o, provider, sealed FROM {creative.schema}.provider_keys WHERE workspace_id = :w"""),
                    {"o": other, "w": ws})
            with pytest.raises(DecryptionFailed):
                async with creative.runtime.engine.connect() as conn:
                    await creative.adapters.provider_keys.opened(conn, other)

            deleted = await creative.client.delete(f"/v1/workspaces/{ws}/creatives/provider-keys/openai",
                                                   headers=creative.identity(ws))
            assert deleted.status_code == 204
    logged = [record.getMessage() + repr(record.__dict__) for record in caplog.records]
    assert logged and not [line for line in logged if RAW in line]
