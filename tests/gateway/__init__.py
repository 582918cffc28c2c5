"""The dialect gateway: a toy dialect from the test tree, and start-up refusals."""
