-- Which edges the root walk follows. A model's structural edges are those of its strongest kind of
-- evidence (declared > inferred conversion/re-upload/continued pretraining > family signature >
-- distillation teacher); the others (e.g. the teacher of a model that also declares its base) are
-- kept for display and for the teacher column but do not decide the root.
ALTER TABLE edges ADD COLUMN structural BOOLEAN DEFAULT TRUE;
