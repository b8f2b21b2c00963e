-- reads: _lin_edges2
-- produces: _lin_own_teacher
-- A model's own distillation teacher, from its distillation edges: a statement in the card (or the
-- publisher's, stated-bases list) first, then a contradicted declaration, trace datasets, the teacher part
-- of a distill name, a teacher named elsewhere. At the best rank the teacher with the most of the card's
-- trace datasets wins; a tie between teachers (trace datasets) names none.
WITH e AS (
    SELECT child_id, parent_id, evidence,
           CASE WHEN starts_with(evidence, 'card text') OR starts_with(evidence, 'card (publisher') THEN 0
                WHEN contains(evidence, ${contradicted}) THEN 1
                WHEN starts_with(evidence, 'card') THEN 2
                WHEN contains(evidence, ' names a distillation and its teacher ') THEN 4 ELSE 3 END AS rk,
           -- trace datasets: how many of the card's listed sets are this teacher's (', '-separated)
           array_length(string_split(regexp_extract(evidence, '^card datasets: ([^(]*)', 1), ', ')) AS n
    FROM _lin_edges2 WHERE relation = 'distillation'
),
best AS (SELECT child_id, min(rk) AS rk FROM e GROUP BY child_id),
top AS (   -- at the best rank, the largest dataset count; a tie between teachers names none
    SELECT e.child_id, max(e.n) AS n, count(*) FILTER (WHERE e.rk = 2) AS k FROM e
    JOIN best b ON b.child_id = e.child_id AND b.rk = e.rk GROUP BY e.child_id
),
tied AS (
    SELECT e.child_id FROM e JOIN best b ON b.child_id = e.child_id AND b.rk = e.rk
    JOIN top t ON t.child_id = e.child_id
    WHERE e.rk = 2 AND e.n = t.n GROUP BY e.child_id HAVING count(*) > 1
)
SELECT e.child_id AS model_id, e.parent_id AS teacher_id,
       CASE WHEN starts_with(e.evidence, 'card') OR e.rk = 1 THEN 'card' ELSE 'name' END AS evidence
FROM e JOIN best b ON b.child_id = e.child_id AND b.rk = e.rk
ANTI JOIN tied ON tied.child_id = e.child_id
QUALIFY row_number() OVER (PARTITION BY e.child_id ORDER BY e.n DESC, e.parent_id) = 1
