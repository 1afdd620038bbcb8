import logging

import pytest
from pydantic import ValidationError

from bot.settings import Settings


def test_defaults(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    s = Settings()
    assert s.database_url.startswith("sqlite+aiosqlite:///")
    assert (s.day_rollover_hour, s.desired_retention, s.daily_new_cap, s.default_timezone) == (4, 0.9, 5, "UTC")


def test_secrets_never_show_in_repr_str_or_logs(monkeypatch, tmp_path, caplog):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DISCORD_TOKEN", "super-secret-token")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "signing-secret-value")
    s = Settings()
    with caplog.at_level(logging.INFO):
        logging.getLogger("test").info("settings: %s %r", s, s)
    for text in (repr(s), str(s), caplog.text, s.model_dump_json()):
        assert "super-secret-token" not in text and "signing-secret-value" not in text
    assert s.discord_token is not None and s.discord_token.get_secret_value() == "super-secret-token"


def test_env_file_and_empty_values(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("DAILY_NEW_CAP=8\nDISCORD_TOKEN=\nBANK_DIR=\n")
    s = Settings()
    assert s.daily_new_cap == 8 and s.discord_token is None and s.bank_dir is None


def test_wrong_timezone_is_named(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DEFAULT_TIMEZONE", "Moon/Base")
    with pytest.raises(ValidationError, match="unknown IANA timezone 'Moon/Base'"):
        Settings()


def test_slack_settings(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SLACK_ADMIN_IDS", "U1, U2,,")
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "client-secret-value")
    monkeypatch.setenv("PORT", "8080")
    s = Settings()
    assert s.slack_admin_ids == ("U1", "U2") and s.port == 8080
    assert "client-secret-value" not in repr(s)
    assert s.slack_api_url == "https://slack.com/api/"


def test_shard_settings_are_checked_against_the_shard_count(monkeypatch):
    monkeypatch.setenv("DISCORD_SHARD_COUNT", "4")
    monkeypatch.setenv("DISCORD_SHARD_IDS", "1, 3")
    assert Settings(_env_file=None).discord_shard_ids == (1, 3)
    for ids, problem in (("4", "between 0 and 3"), ("1,1", "twice")):
        monkeypatch.setenv("DISCORD_SHARD_IDS", ids)
        with pytest.raises(ValidationError, match=problem):
            Settings(_env_file=None)
    monkeypatch.delenv("DISCORD_SHARD_COUNT")
    monkeypatch.setenv("DISCORD_SHARD_IDS", "0")
    with pytest.raises(ValidationError, match="needs DISCORD_SHARD_COUNT"):
        Settings(_env_file=None)
