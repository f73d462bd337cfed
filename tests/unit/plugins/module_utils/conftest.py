# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the module_utils unit tests."""

import pytest

from ansible_collections.koreai.ai_for_process.tests.unit.plugins.module_utils.helpers import new_client


@pytest.fixture
def client(emulator):
    """An ApiClient for the emulator's dev environment, closed after the test."""
    api = new_client(emulator)
    yield api
    api.close()
