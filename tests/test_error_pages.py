"""Errors speak Chinese: a 403/404 shows the project's page, not Django's English default."""

from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.views.defaults import permission_denied


def test_404_page_is_chinese(client, official_a, settlement_b):
    client.force_login(official_a)
    response = client.get(settlement_b.get_absolute_url())
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_403_page_is_chinese(official_a):
    request = RequestFactory().get("/")
    request.user = official_a
    response = permission_denied(request, PermissionDenied())
    assert response.status_code == 403
    assert "无权访问" in response.content.decode()
