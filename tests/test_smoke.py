def test_pages_render(demo, client):
    for path in ["/", "/register", "/login", "/forgot", "/help", "/privacy"]:
        assert client.get(path).status_code == 200, path


def test_full_flow(demo, resident, client, outbox):
    r = resident.register()
    assert r.status_code == 200, r.data
    password = resident.outbox.password()
    r = resident.activate()
    assert 'data-outcome="activated"' in r.get_data(as_text=True)
    r = resident.login(password=password)
    assert r.status_code == 302
    assert client.get("/cabinet").status_code == 200
