"""The Yunpian dialect over raw HTTP: forms, multipart, licences, locked states, errors."""

from __future__ import annotations

import base64
import io
from typing import Any

import httpx
import pytest
import requests
from PIL import Image

from smssign.core.model import EventType
from smssign.core.service import NameFilter
from tests.conftest import Server
from tests.dialects.yunpian.wire import FORM, MEDIA_TYPE, Yunpian, assert_error, reply
from tests.samples import JPEG_B64, PNG_B64, b64, png

PNG_URI = "data:image/png;base64," + PNG_B64
JPEG_URI = "data:image/jpg;base64," + JPEG_B64


@pytest.fixture
def yunpian(server: Server, account: dict[str, Any]) -> Yunpian:
    return Yunpian(server, account)


def row(server: Server, sign_id: int) -> Any:
    return server.run(lambda rt: rt.repository.signature(sign_id))


def sign_id_of(server: Server, account: dict[str, Any], name: str) -> int:
    async def find(rt: Any) -> int:
        found = await rt.repository.account(account["id"])
        page, _ = await rt.signatures.page(found, name=NameFilter(name, exact=True))
        return int(page[0].id)

    return server.run(find)


def events(server: Server, account: dict[str, Any]) -> list[Any]:
    return server.run(lambda rt: rt.repository.events(account["id"]))


# --- add ------------------------------------------------------------------------------


def test_add_reply_shape(yunpian: Yunpian) -> None:
    sign = yunpian.ok("add.json", {"sign": "云片测试", "industry_type": "金融"})
    assert sign == {
        "apply_state": "CHECKING",
        "sign": "云片测试",
        "is_apply_vip": False,
        "is_only_global": False,
        "industry_type": "金融",
    }


@pytest.mark.parametrize(
    "content_type",
    [
        FORM,
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded; charset=utf-8;",
        None,
    ],
)
def test_form_content_type_variants(yunpian: Yunpian, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    yunpian.ok("add.json", {"sign": "类型测试"}, headers=headers)
    yunpian.ok("get.json", {}, headers=headers)


@pytest.mark.parametrize(
    ("given", "stored"),
    [("物联网", "物联网"), ("教育", "教育"), ("其他", "其它"), ("no such", "其它")],
)
def test_industry_type_exact_match_else_other(yunpian: Yunpian, given: str, stored: str) -> None:
    assert (
        yunpian.ok("add.json", {"sign": "行业测试", "industry_type": given})["industry_type"]
        == stored
    )


@pytest.mark.parametrize(
    ("apply_vip", "only_global", "vip", "global_"),
    [
        ("true", "false", True, False),
        ("True", "False", True, False),
        ("1", "0", True, False),
        ("TRUE", "1", False, True),
        ("false", "true", False, True),
    ],
)
def test_booleans_and_vip_forced_off_for_international_only(
    yunpian: Yunpian, apply_vip: str, only_global: str, vip: bool, global_: bool
) -> None:
    sign = yunpian.ok(
        "add.json", {"sign": "布尔测试", "apply_vip": apply_vip, "is_only_global": only_global}
    )
    assert (sign["is_apply_vip"], sign["is_only_global"]) == (vip, global_)


@pytest.mark.parametrize("field", ["notify", "apply_vip", "is_only_global"])
def test_boolean_other_than_true_false_1_0_is_code_2(yunpian: Yunpian, field: str) -> None:
    answer = yunpian.post("add.json", {"sign": "布尔错误", field: "yes"})
    assert_error(answer, 2)
    assert field in answer.body["detail"]


def test_notify_true_by_default_records_a_notification_event(
    server: Server, account: dict[str, Any], yunpian: Yunpian
) -> None:
    yunpian.ok("add.json", {"sign": "通知默认"})
    yunpian.ok("add.json", {"sign": "通知关闭", "notify": "false"})
    notified = [e for e in events(server, account) if e.type is EventType.NOTIFICATION_REQUESTED]
    assert [e.payload["signature"]["name"] for e in notified] == ["通知默认"]


@pytest.mark.parametrize(
    "sign",
    ["【云片】", "云[片]", "云", "一二三四五六七八九十一二三四五六七八九十一", "云片网", "a\tb"],
)
def test_bad_sign_text_is_code_2(yunpian: Yunpian, sign: str) -> None:
    answer = yunpian.post("add.json", {"sign": sign})
    assert_error(answer, 2)
    assert "sign" in answer.body["detail"]


def test_sign_with_common_punctuation_and_twenty_characters(yunpian: Yunpian) -> None:
    yunpian.ok("add.json", {"sign": "云片-科技 (测试)"})
    yunpian.ok("add.json", {"sign": "一二三四五六七八九十一二三四五六七八九十"})


def test_missing_sign_is_code_1_and_duplicate_is_minus_54(yunpian: Yunpian) -> None:
    assert_error(yunpian.post("add.json", {}), 1)
    assert_error(yunpian.post("add.json", {"sign": ""}), 1)
    yunpian.ok("add.json", {"sign": "重复签名"})
    assert_error(yunpian.post("add.json", {"sign": "重复签名"}), -54)


def test_sign_use_and_prove_type(server: Server, account: dict[str, Any], yunpian: Yunpian) -> None:
    yunpian.ok("add.json", {"sign": "他用签名", "sign_use": "1", "prove_type": "6"})
    signature = row(server, sign_id_of(server, account, "他用签名"))
    assert signature.purpose == 1 and signature.extra["prove_type"] == 6
    assert signature.sign_type is None and signature.document_type is None
    assert_error(yunpian.post("add.json", {"sign": "他用二", "sign_use": "2"}), 2)
    assert_error(yunpian.post("add.json", {"sign": "他用二", "prove_type": "5"}), 2)


# --- licences and ID cards ------------------------------------------------------------


def test_repeated_license_url_stored_as_given(
    server: Server, account: dict[str, Any], yunpian: Yunpian
) -> None:
    urls = [f"https://example.com/执照/{i}.png?x=a%20b&y=+" for i in range(7)]
    yunpian.ok("add.json", [("sign", "七张执照"), *[("license_url", u) for u in urls]])
    signature = row(server, sign_id_of(server, account, "七张执照"))
    assert signature.extra["license_urls"] == urls
    eight = [("sign", "八张执照"), *[("license_url", u) for u in [*urls, urls[0]]]]
    assert_error(yunpian.post("add.json", eight), 2)
    assert_error(yunpian.post("add.json", {"sign": "坏地址", "license_url": "ftp://x/y.png"}), 2)


def test_license_base64_needs_a_header_and_a_real_image(
    server: Server, account: dict[str, Any], yunpian: Yunpian
) -> None:
    yunpian.ok(
        "add.json",
        [("sign", "两张图片"), ("license_base64", PNG_URI), ("license_base64", JPEG_URI)],
    )
    assert len(row(server, sign_id_of(server, account, "两张图片")).proof_images) == 2
    gif = io.BytesIO()
    Image.new("RGB", (4, 4)).save(gif, format="GIF")
    for bad in (
        PNG_B64,
        "data:image/png;base64,!!!",
        "data:image/png;base64," + b64(b"not an image"),
        "data:image/png;base64," + b64(gif.getvalue()),
        "data:text/plain;base64," + PNG_B64,
    ):
        answer = yunpian.post("add.json", {"sign": "坏图片", "license_base64": bad})
        assert_error(answer, 2)
        assert "license_base64" in answer.body["detail"]


def test_unencoded_plus_in_base64_survives(
    server: Server, account: dict[str, Any], yunpian: Yunpian
) -> None:
    image = next(
        png(8, 8, (i, 255 - i, 7)) for i in range(256) if "+" in b64(png(8, 8, (i, 255 - i, 7)))
    )
    uri = f"data:image/png;base64,{b64(image)}"
    body = f"sign=%E5%8A%A0%E5%8F%B7&license_base64={uri}&apikey={yunpian.apikey}"
    answer = reply(
        httpx.post(
            f"{server.url}/v2/sign/add.json", content=body.encode(), headers={"Content-Type": FORM}
        )
    )
    assert answer.status == 200, answer.body


def test_license_over_ten_megabytes_is_code_2(yunpian: Yunpian) -> None:
    too_big = (
        "data:image/png;base64," + base64.b64encode(b"\x89PNG" + bytes(10 * 1024 * 1024)).decode()
    )
    answer = yunpian.post("add.json", {"sign": "太大了", "license_base64": too_big})
    assert_error(answer, 2)
    assert "license_base64" in answer.body["detail"]


def test_license_url_wins_over_license_base64(
    server: Server, account: dict[str, Any], yunpian: Yunpian
) -> None:
    yunpian.ok(
        "add.json",
        {
            "sign": "地址优先",
            "license_url": "https://example.com/a.png",
            "license_base64": "garbage",
        },
    )
    signature = row(server, sign_id_of(server, account, "地址优先"))
    assert signature.extra["license_urls"] == ["https://example.com/a.png"]
    assert signature.proof_images == ()


@pytest.mark.parametrize(
    "number", ["11010519491231002X", "110105194912310021", "11010519491231002x"]
)
def test_id_card_number_valid(yunpian: Yunpian, number: str) -> None:
    yunpian.ok("add.json", {"sign": "身份证号", "id_card_name": "张三", "id_card_number": number})


@pytest.mark.parametrize(
    "number",
    ["11010519491231002", "1101051949123100211", "11010519491231002Y", "ABCDEFGHIJKLMNOPQR"],
)
def test_id_card_number_invalid_is_code_2(yunpian: Yunpian, number: str) -> None:
    answer = yunpian.post("add.json", {"sign": "身份证号", "id_card_number": number})
    assert_error(answer, 2)
    assert "id_card_number" in answer.body["detail"]


def test_multipart_with_id_card_photos(
    server: Server, account: dict[str, Any], yunpian: Yunpian
) -> None:
    files = {
        "id_card_front": ("front.png", png(), "image/png"),
        "id_card_back": ("back.jpg", base64.b64decode(JPEG_B64), "image/jpeg"),
    }
    fields = {"sign": "多段上传", "industry_type": "金融", "apply_vip": "true"}
    sign = yunpian.ok("add.json", fields, files=files)
    assert sign["industry_type"] == "金融" and sign["is_apply_vip"] is True
    extra = row(server, sign_id_of(server, account, "多段上传")).extra
    assert len(extra["id_card_front"]) == 64 and len(extra["id_card_back"]) == 64
    bad = {"id_card_front": ("front.txt", b"hello", "text/plain")}
    assert_error(yunpian.post("add.json", {"sign": "坏照片"}, files=bad), 2)


def test_malformed_multipart_is_code_2(server: Server, yunpian: Yunpian) -> None:
    url = f"{server.url}/v2/sign/add.json"
    for content_type, body in [
        ("multipart/form-data", b"--x\r\n"),
        (
            "multipart/form-data; boundary=x",
            b"--x\r\nContent-Disposition: form-data\r\n\r\nv\r\n--x--\r\n",
        ),
        (
            "multipart/form-data; boundary=x",
            b'--x\r\nContent-Disposition: form-data; name="sign"\r\n\r\nv',
        ),
    ]:
        assert_error(
            reply(httpx.post(url, content=body, headers={"Content-Type": content_type})), 2
        )


def test_body_that_is_not_utf8_is_code_14(server: Server, yunpian: Yunpian) -> None:
    for body in (
        b"sign=\xff\xfe&apikey=" + yunpian.apikey.encode(),
        b"sign=%FF%FE&apikey=" + yunpian.apikey.encode(),
    ):
        answer = reply(
            httpx.post(
                f"{server.url}/v2/sign/add.json", content=body, headers={"Content-Type": FORM}
            )
        )
        assert_error(answer, 14)


# --- update ---------------------------------------------------------------------------


def test_update_pending_with_brackets_and_defaults(
    server: Server, account: dict[str, Any], yunpian: Yunpian
) -> None:
    yunpian.ok(
        "add.json",
        {
            "sign": "修改前",
            "industry_type": "金融",
            "apply_vip": "true",
            "website": "https://a.example,官网",
        },
    )
    sign = yunpian.ok("update.json", {"old_sign": "【修改前】", "sign": "修改后"})
    # apply_vip and is_only_global reset to false when absent; industry_type stays.
    assert sign == {
        "apply_state": "CHECKING",
        "sign": "修改后",
        "is_apply_vip": False,
        "is_only_global": False,
        "industry_type": "金融",
    }
    signature = row(server, sign_id_of(server, account, "修改后"))
    assert signature.extra["website"] == "https://a.example,官网"
    assert (
        yunpian.ok("update.json", {"old_sign": "修改后", "industry_type": "游戏"})["sign"]
        == "修改后"
    )
    assert row(server, signature.id).extra["industry_type"] == "游戏"


def test_update_notify_absent_means_true(
    server: Server, account: dict[str, Any], yunpian: Yunpian
) -> None:
    yunpian.ok("add.json", {"sign": "通知修改", "notify": "false"})
    yunpian.ok("update.json", {"old_sign": "通知修改", "sign": "通知修改二"})
    yunpian.ok("update.json", {"old_sign": "通知修改二", "sign": "通知修改三", "notify": "0"})
    notified = [e for e in events(server, account) if e.type is EventType.NOTIFICATION_REQUESTED]
    assert [e.payload["signature"]["name"] for e in notified] == ["通知修改二"]


def test_update_keeps_licences_unless_new_ones_are_sent(
    server: Server, account: dict[str, Any], yunpian: Yunpian
) -> None:
    yunpian.ok("add.json", {"sign": "执照保留", "license_base64": PNG_URI})
    sign_id = sign_id_of(server, account, "执照保留")
    images = row(server, sign_id).proof_images
    yunpian.ok("update.json", {"old_sign": "执照保留", "sign": "执照保留二"})
    assert row(server, sign_id).proof_images == images
    yunpian.ok(
        "update.json", {"old_sign": "执照保留二", "license_url": "https://example.com/new.png"}
    )
    changed = row(server, sign_id)
    assert changed.proof_images == () and changed.extra["license_urls"] == [
        "https://example.com/new.png"
    ]


def test_update_selector_errors(server: Server, account: dict[str, Any], yunpian: Yunpian) -> None:
    yunpian.ok("add.json", {"sign": "选择签名"})
    sign_id = sign_id_of(server, account, "选择签名")
    assert_error(yunpian.post("update.json", {"sign": "没有旧的"}), 1)
    assert_error(yunpian.post("update.json", {"old_sign": "不存在的"}), -55)
    assert_error(yunpian.post("update.json", {"sign_id": "123456789", "sign": "没有"}), -55)
    assert_error(yunpian.post("update.json", {"sign_id": str(sign_id), "old_sign": "别的签名"}), 2)
    assert (
        yunpian.ok("update.json", {"sign_id": str(sign_id), "sign": "按编号改"})["sign"]
        == "按编号改"
    )


@pytest.mark.parametrize("decision", ["approved", "filing"])
def test_update_refused_for_approved_and_filing(
    server: Server, account: dict[str, Any], yunpian: Yunpian, decision: str
) -> None:
    yunpian.ok("add.json", {"sign": "锁定签名", "website": "https://a.example"})
    sign_id = sign_id_of(server, account, "锁定签名")
    server.review(sign_id, decision)
    answer = yunpian.post(
        "update.json", {"old_sign": "锁定签名", "sign": "改名", "website": "https://b.example"}
    )
    assert_error(answer, 2)
    assert "签名审核成功或报备中" in answer.body["detail"]
    assert "sign" in answer.body["detail"] and "website" in answer.body["detail"]
    answer = yunpian.post("update.json", {"old_sign": "锁定签名", "industry_type": "游戏"})
    assert_error(answer, 2)
    signature = row(server, sign_id)
    assert signature.name == "锁定签名" and signature.status.value == decision
    assert signature.extra["website"] == "https://a.example"


def test_update_of_rejected_resubmits(
    server: Server, account: dict[str, Any], yunpian: Yunpian
) -> None:
    yunpian.ok("add.json", {"sign": "被拒签名"})
    sign_id = sign_id_of(server, account, "被拒签名")
    server.reject(sign_id, "材料不全")
    assert yunpian.ok("get.json", {"sign": "【被拒签名】"})[0]["check_status"] == "FAIL"
    assert yunpian.ok("update.json", {"old_sign": "被拒签名"})["apply_state"] == "CHECKING"


# --- get ------------------------------------------------------------------------------


def test_get_states_search_and_paging(
    server: Server, account: dict[str, Any], yunpian: Yunpian
) -> None:
    names = ["查询甲", "查询乙", "查询丙", "别的"]
    for name in names:
        yunpian.ok("add.json", {"sign": name, "apply_vip": "true" if name == "查询甲" else "false"})
    ids = {name: sign_id_of(server, account, name) for name in names}
    server.approve(ids["查询甲"])
    server.reject(ids["查询乙"], "不清晰")
    server.file(ids["查询丙"])
    listed = yunpian.ok("get.json", {"sign": "查询"})
    assert [s["sign"] for s in listed] == ["【查询甲】", "【查询乙】", "【查询丙】"]
    by_name = {s["sign"]: s for s in listed}
    assert by_name["【查询甲】"] | {} == {
        "chan": "VIP",
        "check_status": "SUCCESS",
        "enabled": True,
        "extend": "",
        "industry_type": "其它",
        "only_global": False,
        "remark": "",
        "sign": "【查询甲】",
        "vip": True,
    }
    assert (
        by_name["【查询乙】"]["check_status"] == "FAIL"
        and by_name["【查询乙】"]["remark"] == "不清晰"
    )
    assert (
        by_name["【查询丙】"]["check_status"] == "CHECKING" and not by_name["【查询丙】"]["enabled"]
    )
    assert [s["sign"] for s in yunpian.ok("get.json", {"sign": "【查询甲】"})] == ["【查询甲】"]
    assert yunpian.ok("get.json", {"sign": "【查询】"}) == []
    answer = yunpian.post("get.json", {"page_num": "2", "page_size": "3"})
    assert answer.body["total"] == 4 and [s["sign"] for s in answer.body["sign"]] == ["【别的】"]
    for malformed in (
        {"page_num": "x", "page_size": "3"},
        {"page_num": "1", "page_size": "0"},
        {"page_size": "2"},
    ):
        answer = yunpian.post("get.json", malformed)
        assert answer.body["total"] == 4 and len(answer.body["sign"]) == 4
    assert [s["sign"] for s in yunpian.ok("get.json", {"id": str(ids["别的"])})] == ["【别的】"]


def test_get_on_an_empty_account_has_an_empty_list(yunpian: Yunpian) -> None:
    answer = yunpian.post("get.json", {})
    assert answer.status == 200 and answer.body == {"code": 0, "msg": "OK", "total": 0, "sign": []}


# --- errors ---------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["add.json", "update.json", "get.json"])
def test_get_method_is_code_11(server: Server, action: str) -> None:
    assert_error(reply(httpx.get(f"{server.url}/v2/sign/{action}")), 11)


def test_unknown_path_is_404_with_the_envelope(server: Server) -> None:
    assert_error(reply(httpx.post(f"{server.url}/v2/sign/delete.json")), -2, status=404)


def test_apikey_missing_or_wrong(yunpian: Yunpian) -> None:
    answer = yunpian.post("get.json", {}, apikey=False)
    assert_error(answer, 1)
    assert "apikey" in answer.body["detail"]
    assert_error(yunpian.post("get.json", {"apikey": "0" * 32}, apikey=False), -1)
    assert_error(yunpian.post("get.json", {"apikey": "x" * 5000}, apikey=False), -1)


def test_arrears_is_code_3_and_ip_allow_list_is_minus_3(
    server: Server, account: dict[str, Any]
) -> None:
    yunpian = Yunpian(server, account)
    server.set_account(account["id"], arrears=True)
    assert_error(yunpian.post("get.json", {}), 3)
    server.set_account(account["id"], arrears=False, ip_allow=["192.0.2.0/24"])
    assert_error(yunpian.post("get.json", {}), -3)


def test_individual_account_may_add(server: Server) -> None:
    yunpian = Yunpian(server, server.create_account(individual=True))
    assert yunpian.ok("add.json", {"sign": "个人申请"})["apply_state"] == "CHECKING"


def test_replies_decode_as_utf8_in_requests(server: Server) -> None:
    # Without a charset requests would fall back to ISO-8859-1 and hand back mojibake.
    response = requests.post(f"{server.url}/v2/sign/add.json", data={"sign": "云片"}, timeout=10)
    assert response.headers["content-type"] == MEDIA_TYPE
    assert response.encoding == "utf-8"
    assert response.json()["msg"] == "请求参数缺失"
    assert response.json()["detail"] == "参数 apikey 必须传入"
