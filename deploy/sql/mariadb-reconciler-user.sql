-- The user of `paysync reconcile` on a MariaDB/MySQL target, read-only. Run by an admin in the target database:
--   mariadb --init-command="SET @paysync_user='paysync_reconciler', @paysync_password='...', @paysync_tables='accounts,transfers'" <target> < deploy/sql/mariadb-reconciler-user.sql
-- @paysync_tables: the target tables' bare names; @paysync_host (default '%') is the account's host part.
-- MariaDB grants SELECT only on tables that exist: run it after apply's first start created them.
DELIMITER //
BEGIN NOT ATOMIC
  DECLARE db TEXT DEFAULT CONCAT('`', REPLACE(DATABASE(), '`', '``'), '`');
  DECLARE account TEXT DEFAULT CONCAT(QUOTE(@paysync_user), '@', QUOTE(COALESCE(@paysync_host, '%')));
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
  -- The fence reads apply's offsets.
  SET rest = CONCAT('paysync_apply_offsets,', rest);
  WHILE rest <> '' DO
    SET item = TRIM(SUBSTRING_INDEX(rest, ',', 1));
    SET rest = IF(LOCATE(',', rest) > 0, SUBSTRING(rest, LOCATE(',', rest) + 1), '');
    IF item <> '' AND NOT EXISTS (SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = item) THEN
      SET missing = CONCAT(missing, ' ', item);
    ELSEIF item <> '' THEN
      EXECUTE IMMEDIATE CONCAT('GRANT SELECT ON ', db, '.`', REPLACE(item, '`', '``'), '` TO ', account);
    END IF;
  END WHILE;
  IF missing <> '' THEN
    SET missing = CONCAT('these tables do not exist yet (apply creates them at its first start; run this again then), the others are granted:', missing);
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = missing;
  END IF;
END//
DELIMITER ;
