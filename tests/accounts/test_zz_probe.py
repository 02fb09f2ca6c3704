import pytest
@pytest.fixture(autouse=True)
def _s(settings):
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}

def test_probe(world, client_for, client):
    r = client.get("/api/docs"); print(r.status_code)
    r = client.get("/api/workforce/staff"); print(r.status_code, r["Content-Type"], r.content)
    r = client.get("/staff/"); print(r.status_code, r.get("Location"))
    c = client_for(world.users["executive"])
    r = c.get("/staff/")
    assert r.status_code == 200
    r = c.get("/api/openapi.json")
    print(r.json()["openapi"], list(r.json()["paths"])[:50])
    r = c.get("/api/docs"); print(r.status_code)
    r = c.get("/api/workforce/staff"); print(r.json())
