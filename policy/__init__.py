"""The cloud-platform policy pack: rules in ``policy.rules``, the pack in ``__main__.py``."""
