-- reads: _lin_roots_cycle_edges, _lin_key
-- produces: _lin_cycle_nodes
-- Models whose edge the root walk dropped to break a cycle: a root that is one carries the 'cycle' problem.
SELECT DISTINCT k.name AS model_id FROM _lin_roots_cycle_edges x JOIN _lin_key k ON k.k = x.c
