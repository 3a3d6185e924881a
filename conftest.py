pytest_plugins = ["adly_kit.testing.plugin"]
