-- The central database, version 2. events.pos is the event's position in
-- the store of the station that sent it (the station's commit order, see
-- ../0002_station_controls.sql): with events.station (version 4) it says
-- what came after what at one station. It is not unique here: every
-- station counts from 1.
ALTER TABLE events ADD COLUMN pos BIGINT;

-- The station's controls table (prompt answers, stop requests) is not
-- replicated: it is how one station's page talks to the process running
-- its test, which the central database has no part in.
