-- reads: models
-- produces: _lin_text_raw
-- params: sid=1 card_text_window=20000
-- Teachers and continued pretraining the card text states ("distilled from org/name", "continued
-- pretraining of org/name"), before id resolution. Only the head of a card is searched: bounded work per model.
SELECT id AS child_id, t AS target, 'distillation' AS relation,
       'card text: distilled from ' || t AS evidence
FROM (SELECT id, rtrim(t0, '.') AS t FROM (  -- unnest in a subquery of its own: Spark has no generator in an expression
      SELECT id, unnest(regexp_extract_all(left(card_text, ${card_text_window}), ${distill_text}, 1)) AS t0
      FROM models WHERE snapshot_id = ${sid} AND card_text IS NOT NULL))
UNION ALL
SELECT id, t, 'continued_pretraining', 'card text: continued pretraining of ' || t
FROM (SELECT id, rtrim(t0, '.') AS t FROM (
      SELECT id, unnest(regexp_extract_all(left(card_text, ${card_text_window}), ${cpt_text}, 1)) AS t0
      FROM models WHERE snapshot_id = ${sid} AND card_text IS NOT NULL))
