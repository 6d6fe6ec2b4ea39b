"""The manager opens the stats page: figures and charts drawn; staff are turned away."""
import pytest
from playwright.sync_api import expect

from tests.conftest import MANAGER, STAFF
from tests.e2e.conftest import log_in
from tests.test_stats import known  # noqa: F401  (the same known data set)

pytestmark = pytest.mark.e2e


def test_manager_sees_the_figures_and_the_charts(page, users, known):  # noqa: F811
    log_in(page, *MANAGER)
    page.get_by_role("link", name="Statistik").click()
    expect(page.locator('[data-figure="customers_total"]')).to_have_text("5")
    expect(page.locator('[data-figure="came_back_rate"]')).to_have_text("33%")
    charts = page.locator("svg.chart")
    expect(charts).to_have_count(2)
    bar = charts.first.locator("rect.bar-delivered").first
    expect(bar).to_be_visible()
    assert bar.bounding_box()["height"] > 10  # really drawn, not an empty frame


@pytest.mark.http_errors(403)
def test_staff_get_403_on_the_stats_page(page, users):
    log_in(page, *STAFF)
    response = page.goto("/stats/")
    assert response.status == 403
    expect(page.get_by_text("Anda tidak punya akses ke halaman ini.")).to_be_visible()
