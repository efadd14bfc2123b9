"""Governance pages: who sees what (the outsider gets 404, the assessor no personal data),
the writes they make, and how many queries the list pages cost."""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from settlements import rules
from settlements.governance import rules as governance_rules
from settlements.governance import services
from settlements.models import (
    CommitteeMember,
    HonourList,
    Household,
    PointCategory,
    PointEntry,
    TeamMember,
)
from tests import factories as f

ID_1 = "11010519491231002X"
MASKED_1 = "1101**********002X"


def valid_id(prefix17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(c) * w for c, w in zip(prefix17, weights, strict=True))
    return prefix17 + "10X98765432"[total % 11]


@pytest.fixture
def people(settlement_a, official_a):
    """Settlement A with its organisation, a committee, a full team and one household."""
    services.settlement_organisation_update(
        settlement=settlement_a,
        by=official_a,
        party_org=rules.PARTY_BRANCH,
        self_management=rules.SELF_COMMITTEE,
        party_leader_name="李书记",
        party_leader_phone="13900000001",
    )
    services.committee_member_add(
        settlement=settlement_a, by=official_a, post="director", name="赵主任", phone="13900000002"
    )
    for i, role in enumerate(governance_rules.TEAM_ROLES):
        services.team_member_add(
            settlement=settlement_a,
            by=official_a,
            role=role,
            name=f"队员{i}",
            phone=f"1390000010{i}",
        )
    household = services.household_add(
        settlement=settlement_a,
        by=official_a,
        head_name="张三",
        id_number=ID_1,
        phone="13800000000",
    )
    entry = services.point_entry_record(
        household=household,
        category=PointCategory.objects.get(name="参与公益"),
        points=Decimal("5"),
        reason="义务劳动",
        occurred_on=timezone.localdate() - datetime.timedelta(days=1),
        by=official_a,
    )
    today = timezone.localdate()
    honour = services.honour_list_publish(
        settlement=settlement_a,
        period_start=today - datetime.timedelta(days=7),
        period_end=today,
        size=5,
        by=official_a,
    )
    return {"household": household, "entry": entry, "honour": honour}


def personal_urls(settlement, people):
    pk = settlement.pk
    h = people["household"].pk
    return [
        reverse("settlements:organisation_edit", args=[pk]),
        reverse("settlements:committee_member_add", args=[pk]),
        reverse("settlements:team_member_add", args=[pk]),
        reverse("settlements:households", args=[pk]),
        reverse("settlements:household_add", args=[pk]),
        reverse("settlements:household", args=[pk, h]),
        reverse("settlements:household_edit", args=[pk, h]),
        reverse("settlements:households_export", args=[pk]),
        reverse("settlements:entries_export", args=[pk]),
        reverse("settlements:honour_lists", args=[pk]),
        reverse("settlements:honour_list", args=[pk, people["honour"].pk]),
        reverse("settlements:honour_list_export", args=[pk, people["honour"].pk]),
    ]


def post_urls(settlement, people):
    pk = settlement.pk
    team = TeamMember.objects.filter(settlement=settlement).first()
    member = CommitteeMember.objects.get(settlement=settlement)
    return [
        reverse("settlements:team_member_remove", args=[pk, team.pk]),
        reverse("settlements:committee_member_remove", args=[pk, member.pk]),
        reverse("settlements:point_entry_add", args=[pk, people["household"].pk]),
        reverse("settlements:point_entry_reverse", args=[pk, people["entry"].pk]),
    ]


def test_outsider_gets_404_on_every_url(login, settlement_a, official_b, people):
    client = login(official_b)
    urls = [reverse("settlements:governance", args=[settlement_a.pk])] + personal_urls(
        settlement_a, people
    )
    for url in urls:
        assert client.get(url).status_code == 404, url
    for url in post_urls(settlement_a, people):
        assert client.post(url, {"reason": "x", "name": "x", "role": "grid"}).status_code == 404, (
            url
        )
    # Nothing was changed by the attempts.
    assert TeamMember.objects.filter(settlement=settlement_a).count() == 6
    assert PointEntry.objects.count() == 1


def test_assessor_sees_counts_but_no_personal_data(login, settlement_a, assessor, people):
    client = login(assessor)
    response = client.get(reverse("settlements:governance", args=[settlement_a.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for secret in ("李书记", "13900000001", "赵主任", "队员0", "张三", "1101"):
        assert secret not in html
    assert "已配备 1 人" in html and "已登记" in html
    for url in personal_urls(settlement_a, people):
        assert client.get(url).status_code == 403, url
    for url in post_urls(settlement_a, people):
        assert client.post(url, {"reason": "x"}).status_code == 403, url
    assert (
        client.get(reverse("settlements:governance_import", args=["households"])).status_code == 403
    )


@pytest.mark.parametrize("who", ["official_a", "secretary"])
def test_own_official_and_secretary_see_the_people(request, login, settlement_a, people, who):
    client = login(request.getfixturevalue(who))
    html = client.get(reverse("settlements:governance", args=[settlement_a.pk])).content.decode()
    assert "李书记" in html and "赵主任" in html and "队员5" in html
    for url in personal_urls(settlement_a, people):
        assert client.get(url).status_code == 200, url


def test_lists_mask_id_numbers(login, settlement_a, official_a, people):
    client = login(official_a)
    html = client.get(reverse("settlements:households", args=[settlement_a.pk])).content.decode()
    assert MASKED_1 in html and ID_1 not in html
    html = client.get(
        reverse("settlements:household", args=[settlement_a.pk, people["household"].pk])
    ).content.decode()
    assert MASKED_1 in html and ID_1 not in html


def read_xlsx(response):
    book = openpyxl.load_workbook(
        io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content)
    )
    return [list(r) for r in book.active.iter_rows(values_only=True)]


def test_exports_mask_ids_as_text(login, settlement_a, official_a, people):
    client = login(official_a)
    rows = read_xlsx(client.get(reverse("settlements:households_export", args=[settlement_a.pk])))
    assert rows[0][:5] == ["聚居点代码", "聚居点", "户主姓名", "身份证号", "联系电话"]
    assert rows[1][3] == MASKED_1 and isinstance(rows[1][3], str)
    assert rows[1][-1] == 105  # balance: base 100 + 5
    rows = read_xlsx(client.get(reverse("settlements:entries_export", args=[settlement_a.pk])))
    assert rows[1][1] == MASKED_1
    rows = read_xlsx(
        client.get(
            reverse("settlements:honour_list_export", args=[settlement_a.pk, people["honour"].pk])
        )
    )
    assert rows[0] == ["榜别", "名次", "户主姓名", "身份证号", "期间积分"]
    assert rows[1][:4] == ["红榜", 1, "张三", MASKED_1]


def test_official_edits_organisation_and_history_keeps_who(login, settlement_a, official_a):
    client = login(official_a)
    response = client.post(
        reverse("settlements:organisation_edit", args=[settlement_a.pk]),
        {
            "party_org": rules.PARTY_BRANCH,
            "self_management": rules.SELF_COMMITTEE,
            "party_leader_name": "王书记",
            "party_leader_phone": "0817-1234567",
            "dispatched_member_name": "",
            "dispatched_member_phone": "",
            "executor_name": "",
            "executor_phone": "",
            "version": "0",
            "settlement_version": str(settlement_a.version),
        },
    )
    assert response.status_code == 302
    settlement_a.refresh_from_db()
    assert settlement_a.party_org == rules.PARTY_BRANCH
    assert settlement_a.organisation.party_leader_name == "王书记"
    assert settlement_a.organisation.history.latest().history_user == official_a


def test_bad_phone_shows_a_chinese_error_and_saves_nothing(login, settlement_a, official_a):
    client = login(official_a)
    response = client.post(
        reverse("settlements:team_member_add", args=[settlement_a.pk]),
        {"role": "grid", "name": "王五", "phone": "电话"},
    )
    assert response.status_code == 200
    assert "请填写有效的电话号码" in response.content.decode()
    assert not TeamMember.objects.exists()


def test_add_entry_and_reverse_through_the_pages(login, settlement_a, official_a, people):
    client = login(official_a)
    household = people["household"]
    url = reverse("settlements:point_entry_add", args=[settlement_a.pk, household.pk])
    category = PointCategory.objects.get(name="爱护卫生")
    response = client.post(
        url,
        {
            "category": category.pk,
            "points": "-2",
            "reason": "乱扔垃圾",
            "occurred_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 302
    entry = PointEntry.objects.get(reason="乱扔垃圾")
    assert entry.recorded_by == official_a and entry.points == Decimal("-2")
    reverse_url = reverse("settlements:point_entry_reverse", args=[settlement_a.pk, entry.pk])
    assert client.post(reverse_url, {"reason": "认定有误"}).status_code == 302
    response = client.post(reverse_url, {"reason": "再来一次"})
    assert response.status_code == 400 and "不能重复冲正" in response.content.decode()
    assert PointEntry.objects.filter(reverses=entry).count() == 1
    html = client.get(
        reverse("settlements:household", args=[settlement_a.pk, household.pk])
    ).content.decode()
    assert "105.0" in html  # 100 + 5 − 2 + 2


def test_zero_points_refused_with_message(login, settlement_a, official_a, people):
    client = login(official_a)
    url = reverse("settlements:point_entry_add", args=[settlement_a.pk, people["household"].pk])
    category = PointCategory.objects.get(name="爱护卫生")
    response = client.post(
        url,
        {
            "category": category.pk,
            "points": "0",
            "reason": "x",
            "occurred_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 400 and "分值不能为0" in response.content.decode()
    assert PointEntry.objects.count() == 1


def test_publish_through_the_page_then_print(login, settlement_a, official_a, people):
    client = login(official_a)
    url = reverse("settlements:honour_lists", args=[settlement_a.pk])
    start = (timezone.localdate() - datetime.timedelta(days=3)).isoformat()
    end = timezone.localdate().isoformat()
    preview = client.get(url, {"period_start": start, "period_end": end, "size": 3})
    assert (
        "张三" in preview.content.decode() and HonourList.objects.count() == 1
    )  # preview writes nothing
    response = client.post(url, {"period_start": start, "period_end": end, "size": 3})
    assert response.status_code == 302
    published = HonourList.objects.get(period_start=start)
    page = client.get(response["Location"])
    html = page.content.decode()
    assert (
        "居民积分红黑榜" in html and "张三" in html and "data-print" in html
    )  # static/js/site.js prints
    assert list(published.rows.values_list("kind", "head_name")) == [("red", "张三")]


def test_household_add_page_checks_id_number(login, settlement_a, official_a):
    client = login(official_a)
    url = reverse("settlements:household_add", args=[settlement_a.pk])
    response = client.post(
        url,
        {"head_name": "李四", "id_number": "110105194912310021", "members": 2, "base_score": "100"},
    )
    assert response.status_code == 200 and "校验位" in response.content.decode()
    response = client.post(
        url,
        {"head_name": "李四", "id_number": "11010519491231002x", "members": 2, "base_score": "100"},
    )
    assert response.status_code == 302
    assert Household.objects.get().id_number == ID_1


def test_gap_list_scoped_and_filterable(
    login, settlement_a, settlement_b, official_a, official_b, assessor, township_b
):
    url = reverse("settlements:governance_gaps")
    html = login(official_a).get(url).content.decode()
    assert settlement_a.name in html and settlement_b.name not in html
    html = login(assessor).get(url).content.decode()
    assert settlement_a.name in html and settlement_b.name in html
    html = login(assessor).get(url, {"township": township_b.pk}).content.decode()
    assert settlement_a.name not in html and settlement_b.name in html
    # An official cannot pick another township.
    assert login(official_a).get(url, {"township": township_b.pk}).status_code == 404


@pytest.mark.parametrize("size", [5, 30])
def test_gap_list_query_count(
    login, assessor, township_a, village_a, django_assert_num_queries, size
):
    for _ in range(size):
        f.settlement(village_a)
    services.settlement_gaps_rebuild()  # created outside the services: stored by the rebuild
    client = login(assessor)
    url = reverse("settlements:governance_gaps")
    client.get(url)  # warm caches (content types, etc.)
    # user (with roles, bell), townships, the stored gaps' aggregate, the page's rows
    with django_assert_num_queries(4):
        response = client.get(url)
    assert len(response.context["report"].rows) == size
    assert response.context["report"].with_gaps == size


def test_gap_list_reads_stored_gaps(login, assessor, settlement_a, official_a):
    """The list shows what is stored, and the services keep it stored: a settlement the
    list has checked never has its gaps recomputed on a read."""
    from settlements.models import SettlementGaps

    services.settlement_gaps_rebuild()
    stored = SettlementGaps.objects.get(settlement=settlement_a)
    assert governance_rules.GAP_TEAM_MISSING in stored.code_list
    # A stored value is what the list shows, even one no rule would compute now.
    SettlementGaps.objects.filter(pk=stored.pk).update(codes=",self_no_executor,", missing_roles="")
    html = login(assessor).get(reverse("settlements:governance_gaps")).content.decode()
    assert "未登记自主管理执行人" in html and "“5员1长”队伍缺少角色" not in html
    assert (
        SettlementGaps.objects.get(pk=stored.pk).codes == ",self_no_executor,"
    )  # nothing written on GET


def test_gap_list_checks_unstored_settlements_without_writing(
    login, assessor, settlement_a, village_a
):
    """A settlement written by a path that did not store its gaps is still listed (checked
    on the fly, merged in list order) and nothing is written by the read."""
    from settlements.models import SettlementGaps

    other = f.settlement(village_a, code="SA0")
    services.settlement_gaps_refresh(settlement_ids=[settlement_a.pk])
    response = login(assessor).get(reverse("settlements:governance_gaps"))
    report = response.context["report"]
    assert [row.code for row in report.rows] == ["SA0", "SA1"]
    assert report.with_gaps == 2 and report.settlements_checked == 2
    assert not SettlementGaps.objects.filter(settlement=other).exists()


def _stored_codes(settlement):
    from settlements.models import SettlementGaps

    return SettlementGaps.objects.get(settlement=settlement).code_list


def test_stored_gaps_follow_committee_team_and_organisation(
    settlement_a, official_a, login, assessor
):
    services.settlement_organisation_update(
        settlement=settlement_a,
        by=official_a,
        party_org=rules.PARTY_BRANCH,
        self_management=rules.SELF_COMMITTEE,
        party_leader_name="王书记",
    )
    assert governance_rules.GAP_SELF_NO_COMMITTEE_MEMBERS in _stored_codes(settlement_a)
    member = services.committee_member_add(
        settlement=settlement_a, by=official_a, post="director", name="张主任"
    )
    assert governance_rules.GAP_SELF_NO_COMMITTEE_MEMBERS not in _stored_codes(settlement_a)
    services.committee_member_remove(member=member, by=official_a)
    assert governance_rules.GAP_SELF_NO_COMMITTEE_MEMBERS in _stored_codes(settlement_a)

    holders = [
        services.team_member_add(settlement=settlement_a, by=official_a, role=role, name=f"人{i}")
        for i, role in enumerate(governance_rules.TEAM_ROLES)
    ]
    assert governance_rules.GAP_TEAM_MISSING not in _stored_codes(settlement_a)
    services.team_member_update(
        member=holders[-1], by=official_a, role=governance_rules.TEAM_GRID, name="人5"
    )
    assert governance_rules.GAP_TEAM_MISSING in _stored_codes(settlement_a)
    html = login(assessor).get(reverse("settlements:governance_gaps")).content.decode()
    assert "楼栋长" in html  # the missing role, named from the stored row
    services.team_member_remove(member=holders[0], by=official_a)
    assert governance_rules.GAP_TEAM_MISSING in _stored_codes(settlement_a)


def test_stored_gaps_follow_households_changed_in_the_admin(
    settlement_a, official_a, secretary, client
):
    """Households decide the self-management form (a gap fact): an admin edit re-stores the gaps."""
    services.settlement_organisation_update(
        settlement=settlement_a,
        by=official_a,
        party_org=rules.PARTY_BRANCH,
        self_management=rules.SELF_COMMITTEE,
        party_leader_name="王书记",
    )
    settlement_a.refresh_from_db()
    before = _stored_codes(settlement_a)
    assert "self_form" not in before
    client.force_login(secretary)
    url = reverse("admin:settlements_settlement_change", args=[settlement_a.pk])
    data = {
        "code": settlement_a.code,
        "name": settlement_a.name,
        "village": settlement_a.village_id,
        "households": 10,
        "residents": 30,
        "party_members": 5,
        "moved_in_on": "",
        "party_org": settlement_a.party_org,
        "self_management": settlement_a.self_management,
        "latitude": "",
        "longitude": "",
        "version": settlement_a.version,  # the version the change form was opened at
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    settlement_a.refresh_from_db()
    assert settlement_a.households == 10
    from settlements.governance.selectors import gap_facts
    from settlements.models import Settlement

    [facts] = gap_facts(Settlement.objects.filter(pk=settlement_a.pk))
    assert _stored_codes(settlement_a) == facts.codes != before
    assert "self_form" in facts.codes


def test_household_list_query_count(login, settlement_a, official_a, django_assert_num_queries):
    for i in range(20):
        services.household_add(
            settlement=settlement_a,
            by=official_a,
            head_name=f"户{i}",
            id_number=valid_id(f"5113221990010{i:04d}"),
        )
    client = login(official_a)
    url = reverse("settlements:households", args=[settlement_a.pk])
    client.get(url)
    # user (with roles, bell), settlement (with places and organisation), count, page of households with balances
    with django_assert_num_queries(4):
        response = client.get(url)
    assert len(response.context["page"].object_list) == 20


def test_governance_page_query_count(
    login, settlement_a, official_a, people, django_assert_num_queries
):
    client = login(official_a)
    url = reverse("settlements:governance", args=[settlement_a.pk])
    client.get(url)
    # user (with roles, bell), settlement+organisation, committee count, team roles (gaps),
    # committee list, team list, households count, entries count, honour lists count
    with django_assert_num_queries(9):
        client.get(url)


def test_honour_lists_page_query_count(
    login, settlement_a, official_a, people, django_assert_num_queries
):
    client = login(official_a)
    url = reverse("settlements:honour_lists", args=[settlement_a.pk])
    client.get(url)
    # user (with roles, bell), settlement, published lists with row counts
    with django_assert_num_queries(3):
        client.get(url)
