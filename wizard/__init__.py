"""The wizard that configures a run: its Qt-free model here (plan.py: the settings being chosen,
which pages a process shows, the zip's path, the equivalent `atlass export` command) and the
thin Qt pages over it in wizard/ui. What it writes and runs is the project layer's
(atlass_project: inspect -> notebook -> zip -> run)."""
