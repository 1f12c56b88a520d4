-- The user of `paysync apply` on a MariaDB/MySQL target. Run by an admin in the target database,
-- the settings as user variables:
--   mariadb --init-command="SET @paysync_user='paysync_apply', @paysync_password='...', @paysync_tables='accounts,transfers', @paysync_create_tables=1" <target> < deploy/sql/mariadb-apply-user.sql
-- @paysync_tables: the target tables' bare names (PAYSYNC_TABLE_MAPPING's, if set); @paysync_host
-- (default '%') is the account's host part. MariaDB takes a grant on a table that does not exist
-- yet only with CREATE in it: without @paysync_create_tables=1 the tables must exist.
DELIMITER //
BEGIN NOT ATOMIC
  DECLARE db TEXT DEFAULT CONCAT('`', REPLACE(DATABASE(), '`', '``'), '`');
  DECLARE account TEXT DEFAULT CONCAT(QUOTE(@paysync_user), '@', QUOTE(COALESCE(@paysync_host, '%')));
  -- Upserts and deletes by key; with @paysync_create_tables=1 apply also creates missing tables and adds new columns.
  DECLARE privileges TEXT DEFAULT IF(COALESCE(@paysync_create_tables, 0), 'SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER', 'SELECT, INSERT, UPDATE, DELETE');
  DECLARE rest TEXT DEFAULT COALESCE(@paysync_tables, '');
  DECLARE item TEXT;
  DECLARE missing TEXT DEFAULT '';
  IF @paysync_user IS NULL OR @paysync_tables IS NULL OR DATABASE() IS NULL THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'set @paysync_user and @paysync_tables, and run it in the target database (see deploy/sql/README.md)';
  END IF;
  EXECUTE IMMEDIATE CONCAT('CREATE USER IF NOT EXISTS ', account);
  IF @paysync_password IS NOT NULL THEN
    EXECUTE IMMEDIATE CONCAT('ALTER USER ', account, ' IDENTIFIED BY ', QUOTE(@paysync_password));
  END IF;
  -- Offsets and row versions: apply creates these two tables at its first start. ALTER: apply adds
  -- deleted_at and its index to a row versions table an earlier paysync made (delete-marker retention).
  EXECUTE IMMEDIATE CONCAT('GRANT SELECT, INSERT, UPDATE, DELETE, CREATE ON ', db, '.`paysync_apply_offsets` TO ', account);
  EXECUTE IMMEDIATE CONCAT('GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER ON ', db, '.`paysync_row_versions` TO ', account);
  WHILE rest <> '' DO
    SET item = TRIM(SUBSTRING_INDEX(rest, ',', 1));
    SET rest = IF(LOCATE(',', rest) > 0, SUBSTRING(rest, LOCATE(',', rest) + 1), '');
    IF item <> '' THEN
      IF NOT COALESCE(@paysync_create_tables, 0)
         AND NOT EXISTS (SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = item) THEN
        SET missing = CONCAT(missing, ' ', item);
      ELSE
        EXECUTE IMMEDIATE CONCAT('GRANT ', privileges, ' ON ', db, '.`', REPLACE(item, '`', '``'), '` TO ', account);
      END IF;
    END IF;
  END WHILE;
  IF missing <> '' THEN
    SET missing = CONCAT('these tables do not exist (create them, or run this with @paysync_create_tables=1), the others are granted:', missing);
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = missing;
  END IF;
END//
DELIMITER ;
