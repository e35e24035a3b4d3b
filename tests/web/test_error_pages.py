"""Error pages and API errors read like the product: Chinese, the reason the code gave, no Python repr."""

from __future__ import annotations

import json

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from webtools import PASSWORD


def _login(name: str, **kw) -> Client:
    client = Client(**kw)
    client.post(reverse("login"), {"username": name, "password": PASSWORD})
    assert "_auth_user_id" in client.session
    return client


def test_403_page_shows_the_reason_the_code_gave(org):
    resp = _login("filler1").get(reverse("account_manage"))
    assert resp.status_code == 403
    text = resp.content.decode()
    assert "无权访问" in text and "只有评估办可以管理账号。" in text
    assert "403 Forbidden" not in text


def test_404_page_is_chinese_and_hides_model_names(org):
    resp = _login("office").get(reverse("round_detail", args=[99999]))
    assert resp.status_code == 404
    text = resp.content.decode()
    assert "页面不存在" in text
    assert "matches the given query" not in text and "Not Found" not in text


def test_500_page_is_chinese_and_needs_no_request_context():
    from django.views.defaults import server_error

    resp = server_error(RequestFactory().get("/"))
    assert resp.status_code == 500
    text = resp.content.decode()
    assert "服务器暂时出错" in text and "Server Error" not in text


def test_csrf_failure_page_says_what_to_do(org):
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.filler1)
    client.get(reverse("unit_form", args=[org.round.pk, "D01"]))  # the page sets the CSRF cookie
    resp = client.post(
        reverse("unit_submit", args=[org.round.pk, "D01"])
    )  # ... but the form's token is missing
    assert resp.status_code == 403
    text = resp.content.decode()
    assert "页面已过期" in text and "安全校验码已失效或缺失" in text
    assert "CSRF" not in text  # Django's English "CSRF verification failed" page is not shown
    # Without the cookie at all (a fresh browser posting the login form), the page says to allow cookies.
    resp = Client(enforce_csrf_checks=True).post(
        reverse("login"), {"username": "filler1", "password": PASSWORD}
    )
    assert resp.status_code == 403 and "允许本站使用 Cookie" in resp.content.decode()


@pytest.fixture
def api(org):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=org.provider)
    return Client(HTTP_AUTHORIZATION=f"Token {token.key}")


def _error(resp, status: int) -> dict:
    assert resp.status_code == status, resp.content
    body = resp.json()
    raw = json.dumps(body, ensure_ascii=False)
    for leak in ("ErrorDetail", "{'", "non_field_errors", "Traceback", "matches the given query"):
        assert leak not in raw
    return body


def test_api_404_and_405_in_chinese(org, api):
    body = _error(api.get("/api/v1/rounds/99999/inputs/"), 404)
    assert body["message"] == "没有找到该对象，或您无权查看。"
    body = _error(api.delete(f"/api/v1/rounds/{org.round.pk}/inputs/"), 405)
    assert "DELETE" in body["message"] and "不被允许" in body["message"]


def test_api_unauthenticated_in_chinese(org):
    assert _error(Client().get("/api/v1/rounds/"), 401)["message"] == "身份认证信息未提供。"
    bad = Client(HTTP_AUTHORIZATION="Token nope").get("/api/v1/rounds/")
    assert _error(bad, 401)["message"] == "认证令牌无效。"


def test_api_parse_error_in_chinese(org, api):
    resp = api.post(f"/api/v1/rounds/{org.round.pk}/inputs/", "{bad json", content_type="application/json")
    body = _error(resp, 400)
    assert body["message"] == "请求内容无法解析：应为有效的 JSON。"
    assert "Expecting" not in json.dumps(body)


def test_api_nested_validation_errors_flattened_per_row_and_field(org, api):
    rows = {
        "rows": [{"unit": "D01", "indicator": "1", "input": "网上办理率", "value": "80%"}, {"unit": "D01"}]
    }
    resp = api.post(
        f"/api/v1/rounds/{org.round.pk}/inputs/", json.dumps(rows), content_type="application/json"
    )
    body = _error(resp, 400)
    # The 2nd row lacks indicator, input and value: three problems, each saying row and field.
    assert body["problems"] == [
        {"row": 2, "field": "rows.indicator", "message": "第 2 行 indicator：该字段是必填项。"},
        {"row": 2, "field": "rows.input", "message": "第 2 行 input：该字段是必填项。"},
        {"row": 2, "field": "rows.value", "message": "第 2 行 value：该字段是必填项。"},
    ]
    assert body["message"] == "第 2 行 indicator：该字段是必填项。"


def test_api_wrong_shape_in_chinese(org, api):
    resp = api.post(
        f"/api/v1/rounds/{org.round.pk}/inputs/", json.dumps({"rows": "x"}), content_type="application/json"
    )
    body = _error(resp, 400)
    assert body["problems"][0]["field"] == "rows"
    assert body["message"].startswith("rows：") and "列表" in body["message"]


def test_api_throttled_in_chinese():
    from rest_framework import exceptions

    from govassess.web.api.errors import exception_handler

    resp = exception_handler(exceptions.Throttled(wait=4.2), {})
    assert resp.status_code == 429
    assert resp.data == {
        "message": "请求过于频繁，请 5 秒后再试。",
        "problems": [{"message": "请求过于频繁，请 5 秒后再试。"}],
    }
    assert resp["Retry-After"] == "5"


def test_openapi_download_has_a_proper_filename(org):
    resp = Client().get(reverse("api_schema"))
    assert resp.status_code == 200
    disposition = resp["Content-Disposition"]
    assert disposition.startswith('attachment; filename="govassess-api.yaml"')
    assert "filename*=UTF-8''govassess%20" in disposition
    assert "=?utf-8?" not in disposition
    resp = Client().get(reverse("api_schema") + "?format=json")
    assert 'filename="govassess-api.json"' in resp["Content-Disposition"]
