"""The evidence report: for each promise of the policy, the tests that name it, their results
in this run and the app code they ran (written to out/evidence/ by the plugin in plugin.py)."""
