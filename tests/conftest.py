import os
import sys

# no connection broker (it would outlive the tests); tests/e2e/test_broker.py turns it on
os.environ["PSHELL_BROKER"] = "0"

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

try:
    from hypothesis import HealthCheck, settings

    # A 2-core CI machine running sshd fixtures and tmux alongside: never fail a property test
    # because data generation was slow, and don't keep an example database between runs.
    settings.register_profile("pshell", suppress_health_check=list(HealthCheck), deadline=None,
                              database=None)
    settings.load_profile("pshell")
except ImportError:        # hypothesis is a test dependency; without it those tests are skipped
    pass
