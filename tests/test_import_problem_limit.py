"""The preview lists at most MAX_PROBLEMS errors and says so when there are more."""
import io

from importbatch import MAX_PROBLEMS


def test_the_preview_cuts_the_error_list_at_max_problems(office, client, demo):
    rows = "".join(f"{100001 + i};ул. Солнечная, 12;не почта\n" for i in range(MAX_PROBLEMS + 5))
    content = ("Лицевой счёт;Адрес;E-mail\n" + rows).encode()
    client.post("/lang/ru")
    r = client.post(f"/office/{office.id}/import", content_type="multipart/form-data",
                    data={"files": [(io.BytesIO(content), "accounts.csv")]})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert html.count("— не адрес электронной почты.") == MAX_PROBLEMS
    assert f"Показаны только первые {MAX_PROBLEMS} ошибок." in html
