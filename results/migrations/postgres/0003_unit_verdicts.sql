-- The central database, version 3: each unit's verdict, for yield
-- analytics (see ../0003_unit_verdicts.sql). A central database is new
-- with this program, so no old run.ended events need reading back.
ALTER TABLE units ADD COLUMN outcome TEXT;
ALTER TABLE units ADD COLUMN ended_ns BIGINT;

CREATE INDEX units_part ON units (part, ended_ns);
CREATE INDEX units_ended ON units (ended_ns);
