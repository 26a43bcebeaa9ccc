<?php
/*
 * foobar-php: the PHP twin of appd/apps/foobar, the same API with the same
 * SQL, as a front controller run by php-cgi under appd's fastcgi kind (or
 * by php-fpm, for the benchmark).
 *
 *	GET  /api/posts?page=N       20 posts a page, newest first
 *	GET  /api/posts/ID           one post
 *	POST /api/posts              {"author": "...", "body": "..."} -> 201
 *	POST /api/posts/ID/like      likes + 1, atomically
 *	GET  /api/stats              post and like counts
 *	GET  /api/hello              the smallest answer (benchmarks)
 *
 * The database comes from the environment (appd's `env:` for the app):
 * FOOBAR_DB_HOST, FOOBAR_DB_PORT or FOOBAR_DB_SOCKET, FOOBAR_DB_USER,
 * FOOBAR_DB_PASSWORD, FOOBAR_DB_NAME. It needs the mysqli extension
 * (Debian: php-mysql).
 */
declare(strict_types=1);

const PAGE_SIZE = 20;
const MAX_AUTHOR = 64;
const MAX_BODY = 2000;
const MAX_PAGE = 100000;
const POST_COLUMNS = "id, author, body, likes, "
    . "DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%sZ')";

function answer(int $status, $value, array $headers = []): void
{
    http_response_code($status);
    header('Content-Type: application/json');
    header('Cache-Control: no-store');
    foreach ($headers as $h)
        header($h);
    echo json_encode($value, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE), "\n";
}

function fail(int $status, string $msg): void
{
    answer($status, ['error' => $msg]);
}

/* One connection per php-cgi worker, kept across requests. */
function db(): ?mysqli
{
    static $db = null;

    if ($db !== null)
        return $db;
    if (!class_exists('mysqli')) {
        error_log('foobar-php: the mysqli extension (php-mysql) is missing');
        return null;
    }
    mysqli_report(MYSQLI_REPORT_OFF);
    $db = @new mysqli(getenv('FOOBAR_DB_HOST') ?: '127.0.0.1',
        getenv('FOOBAR_DB_USER') ?: 'triad',
        getenv('FOOBAR_DB_PASSWORD') ?: '',
        getenv('FOOBAR_DB_NAME') ?: 'foobar',
        (int)(getenv('FOOBAR_DB_PORT') ?: 3306),
        getenv('FOOBAR_DB_SOCKET') ?: null);
    if ($db->connect_errno) {
        error_log('foobar-php: database: ' . $db->connect_error);
        $db = null;
        return null;
    }
    $db->set_charset('utf8mb4');
    $db->query("CREATE TABLE IF NOT EXISTS posts ("
        . " id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,"
        . " author VARCHAR(64) NOT NULL,"
        . " body TEXT NOT NULL,"
        . " likes BIGINT UNSIGNED NOT NULL DEFAULT 0,"
        . " created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP"
        . ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4");
    return $db;
}

/* A query with '?' replaced by escaped, quoted params (as the C API). */
function query(string $sql, array $params = [])
{
    $db = db();
    if ($db === null)
        return null;
    $parts = explode('?', $sql);
    $out = array_shift($parts);
    foreach ($parts as $i => $p)
        $out .= "'" . $db->real_escape_string((string)$params[$i]) . "'" . $p;
    $r = $db->query($out);
    if ($r === false) {
        error_log('foobar-php: ' . $db->error);
        return null;
    }
    return $r;
}

function post_json(array $row): array
{
    return ['id' => (int)$row[0], 'author' => $row[1], 'body' => $row[2],
        'likes' => (int)$row[3], 'created_at' => $row[4]];
}

function chars(string $s): int
{
    return preg_match_all('/./su', $s);
}

function list_posts()
{
    $page = $_GET['page'] ?? '1';
    if (!is_string($page) || !preg_match('/^[0-9]{1,6}$/', $page) ||
        (int)$page < 1 || (int)$page > MAX_PAGE)
        return fail(400, 'page must be an integer from 1 to 100000');
    $r = query(sprintf("SELECT %s FROM posts ORDER BY id DESC LIMIT %d OFFSET %d",
        POST_COLUMNS, PAGE_SIZE, ((int)$page - 1) * PAGE_SIZE));
    if ($r === null)
        return fail(503, 'database unavailable');
    $posts = [];
    while ($row = $r->fetch_row())
        $posts[] = post_json($row);
    answer(200, ['page' => (int)$page, 'page_size' => PAGE_SIZE, 'posts' => $posts]);
}

function get_post(string $id)
{
    $r = query("SELECT " . POST_COLUMNS . " FROM posts WHERE id = ?", [$id]);
    if ($r === null)
        return fail(503, 'database unavailable');
    $row = $r->fetch_row();
    if ($row === null)
        return fail(404, 'no such post');
    answer(200, post_json($row));
}

function field($o, string $name, int $max): ?string
{
    $v = $o[$name] ?? null;
    if (!is_string($v) || !preg_match('//u', $v) || strpos($v, "\0") !== false)
        return null;
    $n = chars($v);
    return $n >= 1 && $n <= $max ? $v : null;
}

function create_post()
{
    $o = json_decode(file_get_contents('php://input'), true, 16);
    if (json_last_error() !== JSON_ERROR_NONE)
        return fail(400, 'malformed JSON: ' . json_last_error_msg());
    if (!is_array($o) || array_is_list($o))
        return fail(400, 'the body must be a JSON object');
    if (($author = field($o, 'author', MAX_AUTHOR)) === null)
        return fail(400, 'author must be a string of 1 to 64 characters');
    if (($body = field($o, 'body', MAX_BODY)) === null)
        return fail(400, 'body must be a string of 1 to 2000 characters');
    if (query("INSERT INTO posts (author, body) VALUES (?, ?)", [$author, $body]) === null)
        return fail(503, 'database unavailable');
    $id = db()->insert_id;
    answer(201, ['id' => $id, 'author' => $author, 'body' => $body, 'likes' => 0],
        ["Location: /api/posts/$id"]);
}

function like_post(string $id)
{
    if (query("UPDATE posts SET likes = LAST_INSERT_ID(likes + 1) WHERE id = ?", [$id]) === null)
        return fail(503, 'database unavailable');
    if (db()->affected_rows === 0)
        return fail(404, 'no such post');
    answer(200, ['id' => (int)$id, 'likes' => (int)db()->insert_id]);
}

function stats()
{
    $a = query("SELECT COUNT(*) FROM posts");
    $b = query("SELECT COALESCE(SUM(likes), 0) FROM posts");
    if ($a === null || $b === null)
        return fail(503, 'database unavailable');
    answer(200, ['posts' => (int)$a->fetch_row()[0], 'likes' => (int)$b->fetch_row()[0]]);
}

function route(string $method, string $path)
{
    $get = $method === 'GET' || $method === 'HEAD';
    if ($path === '/api/hello') {
        header('Content-Type: text/plain');
        echo "hello\n";
        return;
    }
    if ($path === '/api/posts') {
        if ($get)
            return list_posts();
        return $method === 'POST' ? create_post() : fail(405, 'use GET or POST');
    }
    if ($path === '/api/stats')
        return $get ? stats() : fail(405, 'use GET');
    if (preg_match('#^/api/posts/([1-9][0-9]{0,17})(/like)?$#', $path, $m)) {
        if (isset($m[2]))
            return $method === 'POST' ? like_post($m[1]) : fail(405, 'use POST');
        return $get ? get_post($m[1]) : fail(405, 'use GET');
    }
    if (str_starts_with($path, '/api/posts/'))
        return fail(404, 'no such post');
    fail(404, 'no such route');
}

route($_SERVER['REQUEST_METHOD'] ?? 'GET',
    parse_url($_SERVER['REQUEST_URI'] ?? '/', PHP_URL_PATH) ?? '/');
