"""RFC edge cases of issue #15, as hand-made files in tests/mail_fixtures/rfc."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from triage.mail.parse import parse_email
from triage.mail.scrub import scrub

RFC = Path(__file__).resolve().parent / "mail_fixtures" / "rfc"
T0 = datetime(2024, 6, 4, tzinfo=UTC)

EXPECTED = {
    # file: (sender, sender name, subject, text)
    "folded-boundary": ("ann@example.net", "Ann", "Folded", "My parcel never arrived."),
    "obs-from-space-colon": ("ann@example.net", "Ann Lee", "Refund", "Where is my refund?"),
    "utf8-address": ("jdöe@exämple.de", "Jürgen Döe", "Größe", "Die Größe passt nicht."),
    "encoded-word-none-charset": ("lan@example.vn", "Nguyễn Lan", "Đơn hàng chưa giao",
                                  "Shop oi don hang chua giao."),
    "encoded-word-x-unknown": ("budi@example.id", "Budi", "Pesanan belum sampai – tolong dicek",
                               "Pesanan saya belum sampai."),
    "encoded-word-unknown-latin1": ("renee@example.fr", "Renée Dubois",
                                    "Problème de livraison répété pour ma commande", "Bonjour."),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_rfc_edge_case_reads_correctly(name: str) -> None:
    msg = scrub(parse_email((RFC / f"{name}.eml").read_bytes(), fallback_received=T0))
    assert (msg.sender, msg.sender_name, msg.subject, msg.text) == EXPECTED[name]
    assert msg.to == ["support@shopmate.example"]


def test_every_rfc_file_has_an_expectation() -> None:
    assert {p.stem for p in RFC.glob("*.eml")} == set(EXPECTED)
