"""Shared pytest plugins: test servers other test modules use through fixtures."""

pytest_plugins = ["tests.slack_server", "tests.aws_emulator"]
