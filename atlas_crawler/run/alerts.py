"""Alerts when a scheduled crawl goes wrong, through Spidermon's own actions
(e-mail, Slack, Telegram, Discord), off until ``ATLAS_ALERTS`` names some.

Each action is configured by Spidermon's settings (``SPIDERMON_EMAIL_TO``,
``SPIDERMON_SMTP_HOST``, ``SPIDERMON_SLACK_SENDER_TOKEN``…); one that lacks them
stops the crawl at start-up with Spidermon's ``NotConfigured`` message, before
a day of crawling is spent for an alert that could never be sent."""

from __future__ import annotations

from typing import Any

from scrapy.utils.misc import load_object

from atlas_crawler.run.monitors import AtlasCloseMonitorSuite

#: ``ATLAS_ALERTS`` names (or the import path of any other Spidermon action).
ALERT_ACTIONS = {
    "email": "spidermon.contrib.actions.email.smtp.SendSmtpEmail",
    "slack": "spidermon.contrib.actions.slack.notifiers.SendSlackMessageSpiderFinished",
    "telegram": "spidermon.contrib.actions.telegram.notifiers.SendTelegramMessageSpiderFinished",
    "discord": "spidermon.contrib.actions.discord.notifiers.SendDiscordMessageSpiderFinished",
}


class AlertingCloseMonitorSuite(AtlasCloseMonitorSuite):
    """The project's close monitors; when one fails, the actions ``ATLAS_ALERTS`` names."""

    def __init__(self, *args: Any, crawler: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, crawler=crawler, **kwargs)
        for name in crawler.settings.getlist("ATLAS_ALERTS") if crawler is not None else []:
            self.add_monitors_failed_action(load_object(ALERT_ACTIONS.get(name, name)))
