"""The lab's widgets: the step list, the step view, the gate bar, the output pane, the mail log."""
