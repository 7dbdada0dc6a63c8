-- The station store, version 5: nothing. The central database's version
-- 5 (postgres/0005_fleet.sql) indexes what its fleet page reads; a
-- station's page reads its own store, which needs no more.
SELECT 1;
