"""``triage templates check`` and ``triage templates preview`` as admins and agents run them."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import add_to_maildir, make_email
from triage.cli.main import main
from triage.config import load_settings
from triage.daemon import Daemon
from triage.services import App


def invoke(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return r.exit_code, r.stdout, r.stderr


@pytest.fixture
def config(tmp_path: Path, model_path: Path, maildir: Path) -> Path:
    """A config with a Maildir source, the session's real model and a template directory."""
    (tmp_path / "tpl").mkdir()
    cfg = tmp_path / "triage.toml"
    cfg.write_text(
        f'data_dir = "{tmp_path / "data"}"\n'
        f'[classifier]\nmodel_path = "{model_path}"\n'
        f'[drafting]\ntemplate_dir = "tpl"\nteam_name = "Acme Care"\n'
        f'[[sources]]\nname = "inbox"\ntype = "maildir"\npath = "{maildir}"\n',
        encoding="utf-8")
    return cfg


def test_check_passes_on_the_packaged_templates(config: Path) -> None:
    code, out, _ = invoke("templates", "check", "--config", str(config))
    assert code == 0, out
    assert "templates OK" in out and "en, vi, id, tl" in out


def test_check_reports_every_kind_of_problem_and_exits_1(config: Path) -> None:
    tpl = config.parent / "tpl"
    (tpl / "en").mkdir()
    (tpl / "en" / "request.email.j2").write_text("{% if %}broken", encoding="utf-8")
    (tpl / "en" / "complaint.email.j2").write_text("Hi {{ frist_name }} {{ reference }}",
                                                   encoding="utf-8")
    (tpl / "en" / "review.social.j2").write_text(
        "{% if first_name %}Dear {{ first_name }}, {% endif %}" + "thanks " * 36 +
        "{{ reference }}", encoding="utf-8")
    (tpl / "en" / "suggestion.email.j2").write_text("Thanks!", encoding="utf-8")
    (tpl / "th").mkdir()
    (tpl / "th" / "request.email.j2").write_text("ขอบคุณ {{ reference }}", encoding="utf-8")
    code, out, err = invoke("templates", "check", "--config", str(config))
    assert code == 1
    assert "en/request.email.j2: syntax error on line 1" in out
    assert "en/complaint.email.j2: uses undefined name(s) frist_name" in out
    assert "en/review.social.j2: renders" in out and "limit 280" in out
    assert "en/suggestion.email.j2: does not show the reference" in out
    assert "th/complaint.email.j2: missing" in out
    assert "th/request.email.j2" not in out  # the Thai template that exists is fine
    assert "problem(s)" in err


def test_check_with_another_template_dir(tmp_path: Path) -> None:
    (tmp_path / "vi").mkdir()
    (tmp_path / "vi" / "complaint.social.j2").write_text("ệ" * 141 + " {{ reference }}",
                                                         encoding="utf-8")
    code, out, _ = invoke("templates", "check", "--template-dir", str(tmp_path))
    assert code == 1
    assert "vi/complaint.social.j2: renders" in out  # 141 x 'ệ' counts 282 on X


def test_preview_from_a_text_file_with_given_category_and_language(tmp_path: Path,
                                                                   config: Path) -> None:
    msg = tmp_path / "msg.txt"
    msg.write_text("Subject: Hoàn tiền\nName: Nguyễn Văn An\n\n"
                   "Đơn hàng DH12345 bị giao trễ, tôi đã trả 350.000đ.\n", encoding="utf-8")
    code, out, _ = invoke("templates", "preview", "--config", str(config), "--file", str(msg),
                          "--category", "complaint", "--language", "vi", "--situation", "general")
    assert code == 0, out
    assert "Template: vi/complaint.email.j2" in out and "situation general (chosen)" in out
    assert "Subject: Re: Hoàn tiền [#T-0]" in out
    assert "Kính chào anh An," in out and "đơn hàng DH12345 (số tiền 350.000 đồng)" in out
    assert "Acme Care" in out
    assert "To fill before sending: nguyên nhân sự việc" in out
    # without --situation the message's own situation is detected: a refund it is owed
    owed = tmp_path / "owed.txt"
    owed.write_text("Subject: Hoàn tiền\nName: Nguyễn Văn An\n\nTôi đã trả hàng của đơn DH12345 "
                    "từ tuần trước mà vẫn chưa được hoàn tiền 350.000đ.\n", encoding="utf-8")
    code, out, _ = invoke("templates", "preview", "--config", str(config), "--file", str(owed),
                          "--category", "complaint", "--language", "vi")
    assert "Template: vi/situations/refund.email.j2" in out, out
    assert "situation refund (detected)" in out
    assert "khoản hoàn tiền 350.000 đồng của đơn DH12345" in out


def test_preview_for_a_private_chat_and_a_public_post(tmp_path: Path, config: Path) -> None:
    msg = tmp_path / "chat.txt"
    msg.write_text("Name: Nguyễn Thị Lan\n\nĐơn hàng của chị giao chậm quá, chừng nào tới?\n",
                   encoding="utf-8")
    args = ("templates", "preview", "--config", str(config), "--file", str(msg), "--channel",
            "social", "--category", "complaint", "--language", "vi", "--situation",
            "order_status")
    code, out, _ = invoke(*args, "--private")
    assert code == 0, out
    assert "Chị cho bên em xin mã đơn hàng" in out and "nhắn tin riêng" not in out
    code, out, _ = invoke(*args)  # a file is a public post unless told otherwise
    assert code == 0, out
    assert "nhắn tin riêng cho bên em mã đơn hàng" in out


def test_preview_from_a_text_file_classifies_with_the_real_model(tmp_path: Path,
                                                                 config: Path) -> None:
    msg = tmp_path / "msg.txt"
    # (an error *shown* at login, "muncul tulisan 'Terjadi kesalahan'", now reads as an app
    # error: this one cannot sign in at all)
    msg.write_text("Tidak bisa login ke akun saya di Android 12, kode OTP tidak pernah "
                   "masuk. Tolong dibantu.\n", encoding="utf-8")
    code, out, _ = invoke("templates", "preview", "--config", str(config), "--file", str(msg),
                          "--channel", "social", "--no-review")
    assert code == 0, out
    assert "Template: id/situations/login.social.j2" in out, out
    assert "Halo Kak," in out and "mohon maaf atas ketidaknyamanannya" in out
    assert "kata sandi atau OTP" in out  # never asks for them publicly
    assert "Length: " in out and "/280 (as X counts)" in out


def test_preview_a_stored_message(config: Path, maildir: Path) -> None:
    add_to_maildir(maildir, make_email(
        subject="Refund please", sender="Ann Lee <ann@example.com>",
        body="Please cancel order #55501 and refund the $45.00 to my card. Thanks."))
    app = App(load_settings(config, {}), environ={})
    Daemon(app).poll_all()
    mid = app.store.export_rows()[0]["id"]
    app.store.close()
    code, out, _ = invoke("templates", "preview", "--config", str(config), "--message",
                          str(mid), "--category", "request", "--no-review", "--html",
                          "--situation", "general")
    assert code == 0, out
    assert "Template: en/request.email.j2" in out
    assert "Hi Ann," in out and "order 55501" in out
    assert "<p>Hi Ann,</p>" in out
    assert "To fill before sending: the answer, or the action we are taking" in out


def test_preview_errors_are_clear(tmp_path: Path, config: Path) -> None:
    code, _, err = invoke("templates", "preview", "--config", str(config), "--message", "999")
    assert code == 1 and "message 999 does not exist" in err
    empty = tmp_path / "empty.txt"
    empty.write_text("Subject: hi\n\n", encoding="utf-8")
    code, _, err = invoke("templates", "preview", "--config", str(config), "--file", str(empty),
                          "--category", "request", "--language", "en")
    assert code == 1 and "empty.txt: the message is empty" in err
    code, _, err = invoke("templates", "preview", "--config", str(config))
    assert code == 2 and "exactly one of --message ID or --file PATH" in err


def test_preview_from_an_eml_file(tmp_path: Path, config: Path) -> None:
    eml = tmp_path / "msg.eml"
    eml.write_bytes(make_email(subject="Saran fitur", sender="Muhammad Rizki <r@example.id>",
                               body="Tolong tambahkan fitur dark mode di aplikasi."))
    code, out, _ = invoke("templates", "preview", "--config", str(config), "--file", str(eml),
                          "--category", "suggestion", "--language", "id", "--channel", "social")
    assert code == 0, out
    assert "Template: id/suggestion.social.j2" in out
    assert "Terima kasih atas idenya, Kak Rizki!" in out
    assert "To fill before sending: nothing" in out
