-- Schema 11: why a baseline was set, when something other than a person's command set it
-- (`rigor baseline auto` after an improvement step in the history). NULL for the rest.
ALTER TABLE baselines ADD COLUMN reason TEXT;
