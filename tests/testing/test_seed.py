"""Seed files: what they may say, the errors that point at the bad line, and what they make."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from smssign.app.seed import load, loads, parse
from smssign.core.model import Certification, QualificationStatus, Status
from smssign.testing import SeedError, mock
from tests.credentials import Dialect


def test_a_full_seed_reads_into_its_parts(tmp_path: Path) -> None:
    path = tmp_path / "seed.yaml"
    path.write_text(
        """
accounts:
  - name: acme
    certification: individual
    arrears: true
    ip_allow: [10.0.0.0/8, "::1/128"]
    signature_quota: 5
    tencent: {secret_id: AKIDacme, secret_key: s}
    legacy: {sdkappid: 1400000009, appkey: a}
    yunpian: {apikey: k}
    qualifications: [{name: 公司, status: pending}]
    signatures:
      - {name: 一, status: rejected, reason: 不行, international: true, sign_type: 0,
         document_type: 1, purpose: 1, remark: r, qualification: 公司, extra: {industry: x}}
      - {name: 二, sign_type: null, document_type: null}
""",
        encoding="utf-8",
    )
    [account] = load(path).accounts
    assert account.certification is Certification.INDIVIDUAL
    assert (account.arrears, account.ip_allow, account.signature_quota) == (
        True,
        ("10.0.0.0/8", "::1/128"),
        5,
    )
    assert account.credentials == {
        Dialect.TENCENT: ("AKIDacme", "s"),
        Dialect.LEGACY: ("1400000009", "a"),
        Dialect.YUNPIAN: ("k", ""),
    }
    assert account.qualifications == (("公司", QualificationStatus.PENDING),)
    first, second = account.signatures
    assert (first.status, first.reason, first.international, first.purpose) == (
        Status.REJECTED,
        "不行",
        True,
        1,
    )
    assert (first.qualification, first.extra) == ("公司", {"industry": "x"})
    assert (second.status, second.sign_type, second.document_type) == (Status.PENDING, None, None)


def test_empty_seeds_are_fine() -> None:
    assert loads("").accounts == ()
    assert parse({"accounts": []}).accounts == ()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "seed: a mapping"),
        ({"users": []}, "unknown key(s) users"),
        ({"accounts": {}}, "accounts: a list"),
        ({"accounts": [{}]}, "accounts[0].name: text"),
        ({"accounts": [{"name": " "}]}, "accounts[0].name: must not be empty"),
        ({"accounts": [{"name": "a"}, {"name": "a"}]}, "account 'a' appears twice"),
        ({"accounts": [{"name": "a", "certification": "gov"}]}, "certification"),
        ({"accounts": [{"name": "a", "arrears": "no"}]}, "arrears: true or false"),
        ({"accounts": [{"name": "a", "ip_allow": ["nope"]}]}, "'nope' is not an IP network"),
        ({"accounts": [{"name": "a", "signature_quota": -1}]}, "signature_quota"),
        ({"accounts": [{"name": "a", "tencent": {"secret_id": "x"}}]}, "tencent.secret_key"),
        ({"accounts": [{"name": "a", "legacy": {"sdkappid": "14", "appkey": "k"}}]}, "sdkappid"),
        ({"accounts": [{"name": "a", "yunpian": {"apikey": "k", "x": 1}}]}, "unknown key(s) x"),
        (
            {
                "accounts": [
                    {"name": "a", "yunpian": {"apikey": "k"}},
                    {"name": "b", "yunpian": {"apikey": "k"}},
                ]
            },
            "two accounts share the yunpian key 'k'",
        ),
        (
            {"accounts": [{"name": "a", "qualifications": [{"name": "q", "status": "x"}]}]},
            "qualifications[0].status",
        ),
        (
            {"accounts": [{"name": "a", "signatures": [{"name": "s", "status": "gone"}]}]},
            "signatures[0].status",
        ),
        (
            {"accounts": [{"name": "a", "signatures": [{"name": "s", "status": "rejected"}]}]},
            "signatures[0].reason: a rejected signature needs a reason",
        ),
        (
            {"accounts": [{"name": "a", "signatures": [{"name": "s", "sign_type": 2}]}]},
            "SignType 2 is not accepted",
        ),
        (
            {"accounts": [{"name": "a", "signatures": [{"name": "s", "purpose": 3}]}]},
            "purpose must be 0 or 1",
        ),
        (
            {"accounts": [{"name": "a", "signatures": [{"name": "s", "international": 1}]}]},
            "international: true or false",
        ),
        (
            {"accounts": [{"name": "a", "signatures": [{"name": "s", "qualification": "q"}]}]},
            "'q' is not among the account's",
        ),
        (
            {"accounts": [{"name": "a", "signatures": [{"name": "s"}, {"name": "s"}]}]},
            "'s' is held twice in one scope",
        ),
        (
            {
                "accounts": [
                    {
                        "name": "a",
                        "signature_quota": 1,
                        "signatures": [{"name": "s"}, {"name": "t"}],
                    }
                ]
            },
            "exceed signature_quota 1",
        ),
    ],
)
def test_mistakes_name_the_entry_and_key(data: Any, message: str) -> None:
    with pytest.raises(SeedError) as caught:
        parse(data)
    assert message in str(caught.value)


def test_unreadable_files_are_seed_errors(tmp_path: Path) -> None:
    with pytest.raises(SeedError, match="cannot read"):
        load(tmp_path / "missing.yaml")
    (tmp_path / "bad.yaml").write_text("accounts: [", encoding="utf-8")
    with pytest.raises(SeedError, match="not valid YAML"):
        load(tmp_path / "bad.yaml")


def test_a_rejected_name_may_be_held_again() -> None:
    signatures = [{"name": "s", "status": "rejected", "reason": "r"}, {"name": "s"}]
    [account] = parse({"accounts": [{"name": "a", "signatures": signatures}]}).accounts
    assert [s.status for s in account.signatures] == [Status.REJECTED, Status.PENDING]


def test_applied_seeds_make_what_they_say() -> None:
    seed = {
        "accounts": [
            {
                "name": "acme",
                "qualifications": [{"name": "公司"}],
                "signatures": [
                    {"name": "国际", "international": True, "status": "filing"},
                    {"name": "资质", "qualification": "公司", "extra": {"industry_type": "其它"}},
                ],
            }
        ]
    }
    with mock(seed=seed) as sms:
        state = sms.state()
        [qualification] = state["qualifications"]
        first, second = state["signatures"]
        assert (first["international"], first["status"]) == (True, "filing")
        assert second["qualification_id"] == qualification["id"]
        assert second["extra"] == {"industry_type": "其它"}
        assert [a["dialect"] for a in state["applications"]] == ["seed", "seed"]
        assert [r["reviewer"] for r in state["reviews"]] == ["seed"]
        made = sms.seed({"accounts": [{"name": "acme"}, {"name": "other"}]})
        assert made["kept"] == ["acme"]
        assert [a["name"] for a in made["accounts"]] == ["other"]


def test_seeds_that_collide_with_existing_or_generated_keys_are_refused() -> None:
    # Account 2 would get the generated sdkappid 1400000002 that account 1 claims.
    seed = {
        "accounts": [
            {"name": "a", "legacy": {"sdkappid": 1400000002, "appkey": "k"}},
            {"name": "b"},
        ]
    }
    with pytest.raises(SeedError, match="generated legacy sdkappid collides"), mock(seed=seed):
        pass
    with mock() as sms:
        sms.create_account("first")
        # Checked before anything is written: no account "x" afterwards.
        with pytest.raises(SeedError, match="held by another account"):
            sms.seed(
                {"accounts": [{"name": "x", "legacy": {"sdkappid": 1400000001, "appkey": "y"}}]}
            )
        assert [a["name"] for a in sms.state()["accounts"]] == ["first"]
