"""The legacy dialect over raw HTTP, shaped like the requests old integrations send."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import httpx
import pytest

from smssign.core.model import Status
from tests.conftest import Server
from tests.dialects.tencent_legacy.wire import Legacy, Reply, reply, sig
from tests.samples import JPEG_B64, PNG_B64, b64

MEDIA_TYPE = "application/json; charset=utf-8"


def assert_envelope(answer: Reply, result: int) -> None:
    assert answer.status == 200
    assert answer.content_type == MEDIA_TYPE
    assert answer.result == result, answer.body
    assert isinstance(answer.body["errmsg"], str)
    assert answer.body["errmsg"] == answer.body["msg"]


@pytest.fixture
def legacy(server: Server, account: dict[str, Any]) -> Legacy:
    return Legacy(server, account)


def add(legacy: Legacy, text: str, **fields: Any) -> int:
    return int(legacy.call("add_sign", text=text, **fields)["data"]["id"])


def signature_row(server: Server, sign_id: int) -> Any:
    return server.run(lambda rt: rt.repository.signature(sign_id))


# --- the captured request shape -------------------------------------------------------


def test_captured_mod_sign_shape_without_content_type_changes_the_signature(
    legacy: Legacy,
) -> None:
    sign_id = add(legacy, "腾讯科技")
    now, rand = int(time.time()), "390803"
    body = (
        f'{{"sig": "{sig(legacy.appkey, rand, now)}", "time": {now}, "sign_id": {sign_id}, '
        '"text": "\\u817e\\u8baf\\u4e91", "remark": "", "pic": ""}'
    ).encode()
    answer = legacy.raw(f"/v5/tlssmssvr/mod_sign?sdkappid={legacy.sdkappid}&random={rand}", body)
    assert_envelope(answer, 0)
    assert answer.body["data"] == {"id": sign_id, "international": 0, "status": 1, "text": "腾讯云"}
    [record] = legacy.call("get_sign", sign_id=[sign_id])["data"]
    assert record["text"] == "腾讯云"


@pytest.mark.parametrize(
    "content_type", ["application/json", "text/plain", "application/x-www-form-urlencoded"]
)
def test_body_is_json_whatever_the_content_type(legacy: Legacy, content_type: str) -> None:
    answer = legacy.post(
        "add_sign", {"text": "内容类型测试"}, headers={"Content-Type": content_type}
    )
    assert_envelope(answer, 0)


def test_tuple_shaped_random_arrives_unencoded_and_is_signed_verbatim(legacy: Legacy) -> None:
    answer = legacy.post("get_sign", {"sign_id": []}, rand="(123456,)")
    assert_envelope(answer, 0)
    assert answer.body["count"] == 0


def test_v3_prefix_is_an_alias(server: Server, account: dict[str, Any]) -> None:
    old = Legacy(server, account, prefix="v3")
    sign_id = add(old, "旧路径签名")
    assert old.call("get_sign", sign_id=sign_id)["data"][0]["text"] == "旧路径签名"


# --- the envelope and the check order -------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/v5/tlssmssvr/sendvoice",
        "/v5/tlssmssvr/",
        "/v3/tlssmssvr/nope",
        "/v5/tlssmssvr/get_sign/x",
    ],
)
def test_unknown_path_is_1011_with_http_200(legacy: Legacy, path: str) -> None:
    answer = legacy.raw(f"{path}?sdkappid={legacy.sdkappid}&random=1", legacy.body({}, rand="1"))
    assert_envelope(answer, 1011)


def test_get_method_is_1030(server: Server, legacy: Legacy) -> None:
    response = httpx.get(f"{server.url}/v5/tlssmssvr/get_sign?sdkappid={legacy.sdkappid}&random=1")
    assert_envelope(reply(response), 1030)


@pytest.mark.parametrize(
    "query",
    ["random=1", "sdkappid=abc&random=1", "sdkappid=1400000001", "sdkappid=1400000001&random="],
)
def test_bad_query_is_1004(legacy: Legacy, query: str) -> None:
    answer = legacy.raw(f"/v5/tlssmssvr/get_sign?{query}", legacy.body({"sign_id": 1}, rand="1"))
    assert_envelope(answer, 1004)


@pytest.mark.parametrize("body", [b"", b"{", b"[1, 2]", b'"text"', b"\xff\xfe", b'{"a": 1e999999}'])
def test_body_that_is_not_a_json_object_is_1004(legacy: Legacy, body: bytes) -> None:
    answer = legacy.raw(f"/v5/tlssmssvr/get_sign?sdkappid={legacy.sdkappid}&random=1", body)
    assert_envelope(answer, 1004)


@pytest.mark.parametrize("value", [None, "", "   "])
def test_missing_or_empty_sig_is_1003(legacy: Legacy, value: str | None) -> None:
    body: dict[str, Any] = {"time": int(time.time()), "sign_id": 1}
    if value is not None:
        body["sig"] = value
    answer = legacy.raw(
        f"/v5/tlssmssvr/get_sign?sdkappid={legacy.sdkappid}&random=1", json.dumps(body).encode()
    )
    assert_envelope(answer, 1003)


def test_sig_that_is_not_a_string_is_1004(legacy: Legacy) -> None:
    body = json.dumps({"sig": 12345, "time": int(time.time()), "sign_id": 1}).encode()
    answer = legacy.raw(f"/v5/tlssmssvr/get_sign?sdkappid={legacy.sdkappid}&random=1", body)
    assert_envelope(answer, 1004)


def test_unknown_sdkappid_is_1019(legacy: Legacy) -> None:
    answer = legacy.raw(
        "/v5/tlssmssvr/get_sign?sdkappid=1499999999&random=1", legacy.body({"sign_id": 1}, rand="1")
    )
    assert_envelope(answer, 1019)


def test_missing_or_malformed_time_is_1004(legacy: Legacy) -> None:
    for extra in ({}, {"time": "soon"}, {"time": 1.5}):
        body = json.dumps({"sig": "0" * 64, "sign_id": 1, **extra}).encode()
        answer = legacy.raw(f"/v5/tlssmssvr/get_sign?sdkappid={legacy.sdkappid}&random=1", body)
        assert_envelope(answer, 1004)


@pytest.mark.parametrize("offset", [-700, 700])
def test_clock_skew_over_ten_minutes_is_1021(legacy: Legacy, offset: int) -> None:
    answer = legacy.post("get_sign", {"sign_id": 1}, now=int(time.time()) + offset)
    assert_envelope(answer, 1021)


def test_skew_within_ten_minutes_passes(legacy: Legacy) -> None:
    answer = legacy.post("get_sign", {"sign_id": []}, now=int(time.time()) - 500)
    assert_envelope(answer, 0)


def test_time_as_numeric_string_is_accepted(legacy: Legacy) -> None:
    now = int(time.time())
    body = json.dumps({"sig": sig(legacy.appkey, "77", now), "time": str(now), "sign_id": []})
    answer = legacy.raw(
        f"/v5/tlssmssvr/get_sign?sdkappid={legacy.sdkappid}&random=77", body.encode()
    )
    assert_envelope(answer, 0)


def test_wrong_sig_is_1001(legacy: Legacy) -> None:
    now = int(time.time())
    signed_other_random = json.dumps(
        {"sig": sig(legacy.appkey, "2", now), "time": now, "sign_id": 1}
    )
    answer = legacy.raw(
        f"/v5/tlssmssvr/get_sign?sdkappid={legacy.sdkappid}&random=1", signed_other_random.encode()
    )
    assert_envelope(answer, 1001)
    wrong_key = json.dumps({"sig": sig("0" * 32, "1", now), "time": now, "sign_id": 1})
    answer = legacy.raw(
        f"/v5/tlssmssvr/get_sign?sdkappid={legacy.sdkappid}&random=1", wrong_key.encode()
    )
    assert_envelope(answer, 1001)


def test_uppercase_sig_is_accepted(legacy: Legacy) -> None:
    now = int(time.time())
    body = json.dumps({"sig": sig(legacy.appkey, "5", now).upper(), "time": now, "sign_id": []})
    answer = legacy.raw(
        f"/v5/tlssmssvr/get_sign?sdkappid={legacy.sdkappid}&random=5", body.encode()
    )
    assert_envelope(answer, 0)


# --- account policy -------------------------------------------------------------------


def test_arrears_is_1033_and_ip_allow_list_is_1009(server: Server, account: dict[str, Any]) -> None:
    legacy = Legacy(server, account)
    server.set_account(account["id"], arrears=True)
    assert_envelope(legacy.post("get_sign", {"sign_id": 1}), 1033)
    server.set_account(account["id"], arrears=False, ip_allow=["10.0.0.0/8"])
    assert_envelope(legacy.post("get_sign", {"sign_id": 1}), 1009)
    server.set_account(account["id"], ip_allow=["127.0.0.0/8"])
    assert_envelope(legacy.post("get_sign", {"sign_id": []}), 0)


def test_policy_is_only_revealed_to_a_caller_with_the_appkey(
    server: Server, account: dict[str, Any]
) -> None:
    legacy = Legacy(server, account)
    server.set_account(account["id"], arrears=True)
    legacy.appkey = "0" * 32
    assert_envelope(legacy.post("get_sign", {"sign_id": 1}), 1001)


def test_individual_account_may_read_and_delete_but_not_apply(server: Server) -> None:
    person = server.create_account(individual=True)
    company = Legacy(server, server.create_account())
    legacy = Legacy(server, person)
    assert_envelope(legacy.post("add_sign", {"text": "个人签名"}), 1006)
    server.set_account(person["id"], individual=False)
    sign_id = add(legacy, "个人签名")
    server.set_account(person["id"], individual=True)
    assert_envelope(legacy.post("mod_sign", {"sign_id": sign_id, "text": "个人签名二"}), 1006)
    assert legacy.call("get_sign", sign_id=sign_id)["count"] == 1
    legacy.call("del_sign", sign_id=sign_id)
    assert company.call("get_sign", sign_id=sign_id)["count"] == 0


# --- add_sign -------------------------------------------------------------------------


def test_add_sign_reply_and_get_sign_record(legacy: Legacy) -> None:
    answer = legacy.post(
        "add_sign", {"text": " 测试科技 ", "remark": "官网", "pic": PNG_B64, "international": 0}
    )
    assert_envelope(answer, 0)
    assert answer.body["errmsg"] == "OK"
    data = answer.body["data"]
    assert data == {"id": data["id"], "international": 0, "status": 1, "text": "测试科技"}
    [record] = legacy.call("get_sign", sign_id=data["id"])["data"]
    assert record["reply"] == "" and record["reply_time"] == ""
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", record["apply_time"])


def test_add_sign_international(legacy: Legacy) -> None:
    data = legacy.call("add_sign", text="GlobalName", international=1)["data"]
    assert data["international"] == 1
    assert_envelope(legacy.post("add_sign", {"text": "GlobalTwo", "international": 2}), 1004)


@pytest.mark.parametrize("text", ["【腾讯】", "腾", "一二三四五六七八九十一二三", "a b", "腾讯!"])
def test_bad_text_is_1012(legacy: Legacy, text: str) -> None:
    assert_envelope(legacy.post("add_sign", {"text": text}), 1012)


@pytest.mark.parametrize(
    "fields", [{}, {"text": ""}, {"text": "   "}, {"text": 12}, {"text": "好的", "remark": 1}]
)
def test_missing_or_mistyped_text_is_1004(legacy: Legacy, fields: dict[str, Any]) -> None:
    assert_envelope(legacy.post("add_sign", fields), 1004)


def test_pic_with_or_without_data_uri_prefix(server: Server, legacy: Legacy) -> None:
    plain = add(legacy, "图片一", pic=PNG_B64)
    prefixed = add(legacy, "图片二", pic="data:image/jpeg;base64," + JPEG_B64)
    assert len(signature_row(server, plain).proof_images) == 1
    assert len(signature_row(server, prefixed).proof_images) == 1


@pytest.mark.parametrize(
    "pic", ["not base64!", b64(b"plain text, not an image"), "data:image/png;base64,@@"]
)
def test_bad_pic_is_1004_and_adds_nothing(legacy: Legacy, pic: str) -> None:
    answer = legacy.post("add_sign", {"text": "坏图片", "pic": pic})
    assert_envelope(answer, 1004)
    assert "pic" in answer.body["errmsg"]
    assert legacy.call("get_sign", sign_id=[], sign_page={"max": 50})["total"] == 0


def test_duplicate_text_is_1007(legacy: Legacy) -> None:
    add(legacy, "重复签名")
    assert_envelope(legacy.post("add_sign", {"text": "重复签名"}), 1007)


# --- mod_sign -------------------------------------------------------------------------


def test_mod_sign_keeps_pic_and_remark_when_omitted(server: Server, legacy: Legacy) -> None:
    sign_id = add(legacy, "保留图片", pic=PNG_B64, remark="first")
    before = signature_row(server, sign_id)
    legacy.call("mod_sign", sign_id=sign_id, text="保留图片二")
    after = signature_row(server, sign_id)
    assert after.proof_images == before.proof_images and after.remark == "first"
    legacy.call("mod_sign", sign_id=sign_id, text="保留图片三", pic=JPEG_B64, remark="")
    changed = signature_row(server, sign_id)
    assert changed.proof_images != before.proof_images and changed.remark == ""


def test_mod_sign_ignores_unknown_members(legacy: Legacy) -> None:
    sign_id = add(legacy, "未知字段")
    legacy.call("mod_sign", sign_id=sign_id, text="未知字段二", international=0, color="red")


def test_status_numbers_and_which_states_may_be_modified(server: Server, legacy: Legacy) -> None:
    approved, rejected, filing = add(legacy, "已通过"), add(legacy, "已拒绝"), add(legacy, "报备中")
    server.approve(approved)
    server.reject(rejected, "证明文件不清晰")
    server.file(filing)
    records = {
        r["id"]: r for r in legacy.call("get_sign", sign_id=[approved, rejected, filing])["data"]
    }
    assert records[approved]["status"] == 0
    assert records[rejected]["status"] == 2 and records[rejected]["reply"] == "证明文件不清晰"
    assert records[filing]["status"] == 1
    assert records[rejected]["reply_time"] != ""
    for sign_id in (approved, filing):
        answer = legacy.post("mod_sign", {"sign_id": sign_id, "text": "改不了"})
        assert_envelope(answer, 1007)
        assert "cannot be modified" in answer.body["errmsg"]
    data = legacy.call("mod_sign", sign_id=rejected, text="已拒绝二")["data"]
    assert data["status"] == 1
    [record] = legacy.call("get_sign", sign_id=rejected)["data"]
    assert record["status"] == 1 and record["reply"] == ""
    assert signature_row(server, approved).status is Status.APPROVED


def test_mod_sign_of_unknown_or_foreign_id_is_1007(server: Server, legacy: Legacy) -> None:
    other = Legacy(server, server.create_account())
    foreign = add(other, "别人的")
    for sign_id in (foreign, 987654321):
        answer = legacy.post("mod_sign", {"sign_id": sign_id, "text": "抢过来"})
        assert_envelope(answer, 1007)
        assert answer.body["errmsg"] == "sign_id not found"
    assert other.call("get_sign", sign_id=foreign)["data"][0]["text"] == "别人的"


@pytest.mark.parametrize("sign_id", ["abc", [1], None, True, 2**70])
def test_mod_sign_with_bad_sign_id_is_1004(legacy: Legacy, sign_id: Any) -> None:
    assert_envelope(legacy.post("mod_sign", {"sign_id": sign_id, "text": "好的"}), 1004)


# --- del_sign and get_sign ------------------------------------------------------------


def test_sign_id_as_number_or_array(legacy: Legacy) -> None:
    first, second = add(legacy, "数字一"), add(legacy, "数字二")
    assert [r["id"] for r in legacy.call("get_sign", sign_id=first)["data"]] == [first]
    both = legacy.call("get_sign", sign_id=[second, first, 99999999])
    assert both["count"] == 2 and [r["id"] for r in both["data"]] == [second, first]
    assert "total" not in both
    legacy.call("del_sign", sign_id=first)
    legacy.call("del_sign", sign_id=[second])
    assert legacy.call("get_sign", sign_id=[first, second])["count"] == 0


def test_del_sign_is_atomic_when_an_id_is_unknown(legacy: Legacy) -> None:
    kept = add(legacy, "原子删除")
    answer = legacy.post("del_sign", {"sign_id": [kept, 99999999]})
    assert_envelope(answer, 1007)
    assert legacy.call("get_sign", sign_id=kept)["count"] == 1


@pytest.mark.parametrize(
    "fields", [{}, {"sign_id": []}, {"sign_id": "x"}, {"sign_id": list(range(101))}]
)
def test_del_sign_with_bad_sign_id_is_1004(legacy: Legacy, fields: dict[str, Any]) -> None:
    assert_envelope(legacy.post("del_sign", fields), 1004)


def test_get_sign_paging_with_sign_page(legacy: Legacy) -> None:
    ids = [add(legacy, name) for name in ("分页一", "分页二", "分页三")]
    first = legacy.call("get_sign", sign_id=[], sign_page={"max": 2, "offset": 0})
    assert first["total"] == 3 and first["count"] == 2
    assert [r["id"] for r in first["data"]] == ids[:2]
    rest = legacy.call("get_sign", sign_page={"max": 2, "offset": 2})
    assert [r["id"] for r in rest["data"]] == ids[2:]


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"sign_page": {"max": 0}},
        {"sign_page": {"max": 51}},
        {"sign_page": {"offset": 0}},
        {"sign_page": {"max": 5, "offset": -1}},
        {"sign_page": [5, 0]},
        {"sign_id": [1], "sign_page": {"max": 5}},
        {"sign_id": [1, "two"]},
    ],
)
def test_get_sign_with_bad_selection_is_1004(legacy: Legacy, fields: dict[str, Any]) -> None:
    assert_envelope(legacy.post("get_sign", fields), 1004)
