/*
 * lossyfs: a FUSE file system that loses what was not fsynced, to simulate a power loss.
 *
 * Every file and directory lives in this process's memory in two versions: the current one (what every process
 * reads and writes) and the durable one (what a disk would hold after a power loss). fsync/fdatasync of a file
 * makes its content and size durable; fsync of a directory makes its entries durable (so a create, unlink or
 * rename survives only after the directory is synced, as on a journaling file system that promises nothing more).
 * A command on the control file ".lossyfs" in the root drops everything that is not durable, optionally keeping
 * the first bytes of the last write (a torn write), and reports what it dropped.
 *
 * Control protocol: open ".lossyfs" read-write, write one command, read the JSON answer from offset 0.
 *   stats                 -> {"files":..,"unsyncedBytes":..,...}
 *   drop [tear=<bytes>]   -> {"bytesDropped":..,"filesDropped":..,...,"torn":null|{...}}
 *   sync                  -> makes everything durable (a clean shutdown's sync)
 *
 * Usage: lossyfs <backing-dir> <mount-point>. The backing folder must be empty; when the file system is unmounted
 * its final content is written there (it may be the mount point itself: the folder under the mount). Prints
 * "ready" on stdout once mounted; when stdin closes (its owner died) it detaches the mount and exits.
 * POSIX locks are left to the kernel (no lock handlers), which is what SQLite needs between processes.
 */
#define FUSE_USE_VERSION 31
#define _GNU_SOURCE
#include <fuse_lowlevel.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096u
#define CONTROL_NAME ".lossyfs"
#define CONTROL_INO 2

/* ---------- growable text buffer (JSON answers) ---------- */

typedef struct {
  char *s;
  size_t len, cap;
} text_t;

static void text_add(text_t *t, const char *fmt, ...) {
  va_list ap;
  for (;;) {
    va_start(ap, fmt);
    int n = vsnprintf(t->s ? t->s + t->len : NULL, t->s ? t->cap - t->len : 0, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if (t->s && t->len + (size_t)n < t->cap) {
      t->len += (size_t)n;
      return;
    }
    size_t cap = t->cap ? t->cap * 2 : 256;
    while (cap <= t->len + (size_t)n) cap *= 2;
    t->s = realloc(t->s, cap);
    t->cap = cap;
  }
}

static void text_json_string(text_t *t, const char *s) {
  text_add(t, "\"");
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') text_add(t, "\\%c", *p);
    else if (*p < 0x20) text_add(t, "\\u%04x", *p);
    else text_add(t, "%c", *p);
  }
  text_add(t, "\"");
}

/* ---------- nodes ---------- */

typedef struct {
  char *name;
  fuse_ino_t ino;
} entry_t;

typedef struct {
  entry_t *v;
  size_t n, cap;
} entries_t;

typedef struct {
  uint8_t **v; /* NULL page = zeros */
  size_t n, cap;
} pages_t;

typedef struct {
  off_t start, end;
} extent_t;

typedef struct node {
  fuse_ino_t ino;
  mode_t mode;
  uid_t uid;
  gid_t gid;
  struct timespec atime, mtime, ctime;
  uint64_t nlookup; /* references the kernel holds */
  uint32_t nopen;
  uint32_t cur_refs, dur_refs; /* directory entries naming it now / in the durable directories */
  /* regular file */
  pages_t cur, dur;
  off_t cur_size, dur_size;
  size_t min_pages; /* fewest current pages since the last sync: pages from here on may differ */
  uint64_t *dirty;  /* one bit per page written since the last sync */
  size_t dirty_words;
  extent_t *ext; /* byte ranges written since the last sync, sorted and merged */
  size_t next, ext_cap;
  bool content_dirty;
  /* directory */
  entries_t cur_entries, dur_entries;
  bool entries_dirty;
  fuse_ino_t parent;
  bool reached; /* scratch for reachability walks */
} node_t;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
/* Signalled when a file handle is released: a drop waits for the releases of processes that just died. */
static pthread_cond_t released = PTHREAD_COND_INITIALIZER;
static uint64_t open_handles;
static struct fuse_session *session;
static node_t **nodes;
static size_t nodes_cap;
static fuse_ino_t next_ino = CONTROL_INO + 1;
static uint8_t zero_page[PAGE];
static uint64_t fsyncs, dir_fsyncs, drops;
static struct {
  bool valid;
  fuse_ino_t ino;
  off_t off;
  size_t len;
} last_write;

typedef struct {
  char *answer;
  size_t len;
} control_handle_t;

static struct timespec now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts;
}

static node_t *node_get(fuse_ino_t ino) {
  return ino < nodes_cap ? nodes[ino] : NULL;
}

static node_t *node_new(fuse_ino_t ino, mode_t mode, uid_t uid, gid_t gid) {
  if (ino >= nodes_cap) {
    size_t cap = nodes_cap ? nodes_cap * 2 : 64;
    while (cap <= ino) cap *= 2;
    nodes = realloc(nodes, cap * sizeof *nodes);
    memset(nodes + nodes_cap, 0, (cap - nodes_cap) * sizeof *nodes);
    nodes_cap = cap;
  }
  node_t *n = calloc(1, sizeof *n);
  n->ino = ino;
  n->mode = mode;
  n->uid = uid;
  n->gid = gid;
  n->atime = n->mtime = n->ctime = now();
  nodes[ino] = n;
  return n;
}

static bool is_file(const node_t *n) { return S_ISREG(n->mode); }
static bool is_dir(const node_t *n) { return S_ISDIR(n->mode); }

/* ---------- pages ---------- */

static size_t pages_for(off_t size) { return (size_t)((size + PAGE - 1) / PAGE); }

static void pages_resize(pages_t *p, size_t n) {
  for (size_t i = n; i < p->n; i++) {
    free(p->v[i]);
    p->v[i] = NULL;
  }
  if (n > p->cap) {
    size_t cap = p->cap ? p->cap : 16;
    while (cap < n) cap *= 2;
    p->v = realloc(p->v, cap * sizeof *p->v);
    memset(p->v + p->cap, 0, (cap - p->cap) * sizeof *p->v);
    p->cap = cap;
  }
  p->n = n;
}

static void page_copy(uint8_t **to, const uint8_t *from) {
  if (!from) {
    free(*to);
    *to = NULL;
    return;
  }
  if (!*to) *to = malloc(PAGE);
  memcpy(*to, from, PAGE);
}

static void dirty_mark(node_t *n, size_t page) {
  size_t word = page / 64;
  if (word >= n->dirty_words) {
    size_t words = n->dirty_words ? n->dirty_words * 2 : 4;
    while (words <= word) words *= 2;
    n->dirty = realloc(n->dirty, words * sizeof *n->dirty);
    memset(n->dirty + n->dirty_words, 0, (words - n->dirty_words) * sizeof *n->dirty);
    n->dirty_words = words;
  }
  n->dirty[word] |= 1ull << (page % 64);
}

static bool dirty_has(const node_t *n, size_t page) {
  size_t word = page / 64;
  return word < n->dirty_words && (n->dirty[word] >> (page % 64)) & 1;
}

static void extent_add(node_t *n, off_t start, off_t end) {
  size_t i = 0;
  while (i < n->next && n->ext[i].end < start) i++;
  size_t j = i;
  while (j < n->next && n->ext[j].start <= end) {
    if (n->ext[j].start < start) start = n->ext[j].start;
    if (n->ext[j].end > end) end = n->ext[j].end;
    j++;
  }
  /* ext[i..j) merge into one extent at i */
  if (j == i) {
    if (n->next == n->ext_cap) {
      n->ext_cap = n->ext_cap ? n->ext_cap * 2 : 8;
      n->ext = realloc(n->ext, n->ext_cap * sizeof *n->ext);
    }
    memmove(n->ext + i + 1, n->ext + i, (n->next - i) * sizeof *n->ext);
    n->next++;
  } else {
    memmove(n->ext + i + 1, n->ext + j, (n->next - j) * sizeof *n->ext);
    n->next -= j - i - 1;
  }
  n->ext[i].start = start;
  n->ext[i].end = end;
}

static uint64_t extent_bytes(const node_t *n) {
  uint64_t total = 0;
  for (size_t i = 0; i < n->next; i++) total += (uint64_t)(n->ext[i].end - n->ext[i].start);
  return total;
}

static void clean_after_sync(node_t *n) {
  memset(n->dirty, 0, n->dirty_words * sizeof *n->dirty);
  n->next = 0;
  n->min_pages = n->cur.n;
  n->content_dirty = false;
  if (last_write.valid && last_write.ino == n->ino) last_write.valid = false;
}

/* fsync: the current content and size become durable. Only pages that may differ are copied. */
static void content_sync(node_t *n) {
  if (!n->content_dirty) return;
  pages_resize(&n->dur, n->cur.n);
  for (size_t i = 0; i < n->cur.n; i++)
    if (i >= n->min_pages || dirty_has(n, i)) page_copy(&n->dur.v[i], n->cur.v[i]);
  n->dur_size = n->cur_size;
  clean_after_sync(n);
}

/* Power loss: the current content goes back to the durable one. */
static void content_revert(node_t *n) {
  if (!n->content_dirty) return;
  pages_resize(&n->cur, n->dur.n);
  for (size_t i = 0; i < n->dur.n; i++)
    if (i >= n->min_pages || dirty_has(n, i)) page_copy(&n->cur.v[i], n->dur.v[i]);
  n->cur_size = n->dur_size;
  clean_after_sync(n);
  n->mtime = n->ctime = now();
}

static void content_write(node_t *n, const char *buf, size_t size, off_t off) {
  off_t end = off + (off_t)size;
  if (pages_for(end) > n->cur.n) pages_resize(&n->cur, pages_for(end));
  size_t done = 0;
  while (done < size) {
    off_t pos = off + (off_t)done;
    size_t page = (size_t)(pos / PAGE), in = (size_t)(pos % PAGE);
    size_t chunk = PAGE - in < size - done ? PAGE - in : size - done;
    if (!n->cur.v[page]) n->cur.v[page] = calloc(1, PAGE);
    memcpy(n->cur.v[page] + in, buf + done, chunk);
    dirty_mark(n, page);
    done += chunk;
  }
  if (end > n->cur_size) n->cur_size = end;
  extent_add(n, off, end);
  n->content_dirty = true;
  n->mtime = n->ctime = now();
}

/* Truncate or extend; bytes past the size in the last page are kept zero, so a later extension reads zeros. */
static void content_truncate(node_t *n, off_t size) {
  if (size == n->cur_size) return;
  size_t pages = pages_for(size);
  if (size < n->cur_size) {
    pages_resize(&n->cur, pages);
    if (size % PAGE && n->cur.v[pages - 1]) {
      memset(n->cur.v[pages - 1] + size % PAGE, 0, PAGE - size % PAGE);
      dirty_mark(n, pages - 1);
    }
    if (pages < n->min_pages) n->min_pages = pages;
  } else {
    pages_resize(&n->cur, pages);
  }
  n->cur_size = size;
  n->content_dirty = true;
  last_write.valid = false;
  n->mtime = n->ctime = now();
}

/* ---------- directory entries ---------- */

static entry_t *entries_find(entries_t *e, const char *name) {
  for (size_t i = 0; i < e->n; i++)
    if (strcmp(e->v[i].name, name) == 0) return &e->v[i];
  return NULL;
}

static void entries_add(entries_t *e, const char *name, fuse_ino_t ino) {
  if (e->n == e->cap) {
    e->cap = e->cap ? e->cap * 2 : 8;
    e->v = realloc(e->v, e->cap * sizeof *e->v);
  }
  e->v[e->n].name = strdup(name);
  e->v[e->n].ino = ino;
  e->n++;
}

static void entries_remove(entries_t *e, entry_t *entry) {
  free(entry->name);
  *entry = e->v[--e->n];
}

static void entries_clear(entries_t *e) {
  for (size_t i = 0; i < e->n; i++) free(e->v[i].name);
  e->n = 0;
}

static void entries_copy(entries_t *to, const entries_t *from) {
  entries_clear(to);
  for (size_t i = 0; i < from->n; i++) entries_add(to, from->v[i].name, from->v[i].ino);
}

static void node_free(node_t *n);

/* Frees a node nobody can reach any more: no entry names it, now or durably, and the kernel forgot it. */
static void maybe_free(node_t *n) {
  if (!n || n->ino <= CONTROL_INO) return;
  if (n->nlookup || n->nopen || n->cur_refs || n->dur_refs) return;
  node_free(n);
}

static void release_entries(entries_t *e, bool durable) {
  for (size_t i = 0; i < e->n; i++) {
    node_t *child = node_get(e->v[i].ino);
    if (!child) continue;
    if (durable) child->dur_refs--;
    else child->cur_refs--;
  }
}

static void node_free(node_t *n) {
  nodes[n->ino] = NULL;
  entries_t cur = n->cur_entries, dur = n->dur_entries;
  release_entries(&cur, false);
  release_entries(&dur, true);
  for (size_t i = 0; i < cur.n; i++) maybe_free(node_get(cur.v[i].ino));
  for (size_t i = 0; i < dur.n; i++) maybe_free(node_get(dur.v[i].ino));
  entries_clear(&cur);
  entries_clear(&dur);
  free(cur.v);
  free(dur.v);
  pages_resize(&n->cur, 0);
  pages_resize(&n->dur, 0);
  free(n->cur.v);
  free(n->dur.v);
  free(n->dirty);
  free(n->ext);
  free(n);
}

/* fsync of a directory: its entries become durable. */
static void entries_sync(node_t *dir) {
  if (!dir->entries_dirty) return;
  entries_t old = {0};
  entries_copy(&old, &dir->dur_entries);
  release_entries(&dir->dur_entries, true);
  entries_copy(&dir->dur_entries, &dir->cur_entries);
  for (size_t i = 0; i < dir->dur_entries.n; i++) node_get(dir->dur_entries.v[i].ino)->dur_refs++;
  for (size_t i = 0; i < old.n; i++) maybe_free(node_get(old.v[i].ino));
  entries_clear(&old);
  free(old.v);
  dir->entries_dirty = false;
}

/* ---------- attributes and replies ---------- */

static void fill_stat(const node_t *n, struct stat *st) {
  memset(st, 0, sizeof *st);
  st->st_ino = n->ino;
  st->st_mode = n->mode;
  st->st_nlink = is_dir(n) ? 2 : n->cur_refs;
  st->st_uid = n->uid;
  st->st_gid = n->gid;
  st->st_size = is_file(n) ? n->cur_size : PAGE;
  st->st_blksize = PAGE;
  st->st_blocks = (st->st_size + 511) / 512;
  st->st_atim = n->atime;
  st->st_mtim = n->mtime;
  st->st_ctim = n->ctime;
}

/* Timeouts are 0: the kernel asks again for every name and size, so a drop is seen at once. */
static void entry_param(node_t *n, struct fuse_entry_param *e) {
  memset(e, 0, sizeof *e);
  e->ino = n->ino;
  e->generation = 1;
  fill_stat(n, &e->attr);
  n->nlookup++;
}

/* Replies with n's entry, or with err when there is no node. */
static void reply_entry(fuse_req_t req, node_t *n, int err) {
  if (!n) {
    fuse_reply_err(req, err);
    return;
  }
  struct fuse_entry_param e;
  entry_param(n, &e);
  fuse_reply_entry(req, &e);
}

static node_t *dir_arg(fuse_req_t req, fuse_ino_t ino) {
  node_t *d = node_get(ino);
  if (!d) {
    fuse_reply_err(req, ENOENT);
    return NULL;
  }
  if (!is_dir(d)) {
    fuse_reply_err(req, ENOTDIR);
    return NULL;
  }
  return d;
}

/* Names are at most 255 bytes; the control file's name is taken in the root. */
static int name_error(const node_t *dir, const char *name) {
  if (strlen(name) > 255) return ENAMETOOLONG;
  if (dir->ino == FUSE_ROOT_ID && strcmp(name, CONTROL_NAME) == 0) return EEXIST;
  return 0;
}

/* ---------- operations ---------- */

static void op_init(void *userdata, struct fuse_conn_info *conn) {
  (void)userdata;
  /* Page cache stays valid across opens; this process tells the kernel when a drop changes a file. */
  conn->want &= ~FUSE_CAP_AUTO_INVAL_DATA;
  if (conn->capable & FUSE_CAP_EXPLICIT_INVAL_DATA) conn->want |= FUSE_CAP_EXPLICIT_INVAL_DATA;
  conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name) {
  pthread_mutex_lock(&mu);
  node_t *d = dir_arg(req, parent);
  if (d) {
    node_t *n = NULL;
    if (parent == FUSE_ROOT_ID && strcmp(name, CONTROL_NAME) == 0) n = node_get(CONTROL_INO);
    else {
      entry_t *e = entries_find(&d->cur_entries, name);
      if (e) n = node_get(e->ino);
    }
    reply_entry(req, n, ENOENT);
  }
  pthread_mutex_unlock(&mu);
}

static void forget_one(fuse_ino_t ino, uint64_t nlookup) {
  node_t *n = node_get(ino);
  if (!n) return;
  n->nlookup = n->nlookup > nlookup ? n->nlookup - nlookup : 0;
  maybe_free(n);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup) {
  pthread_mutex_lock(&mu);
  forget_one(ino, nlookup);
  pthread_mutex_unlock(&mu);
  fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets) {
  pthread_mutex_lock(&mu);
  for (size_t i = 0; i < count; i++) forget_one(forgets[i].ino, forgets[i].nlookup);
  pthread_mutex_unlock(&mu);
  fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
  (void)fi;
  pthread_mutex_lock(&mu);
  node_t *n = node_get(ino);
  if (!n) fuse_reply_err(req, ENOENT);
  else {
    struct stat st;
    fill_stat(n, &st);
    fuse_reply_attr(req, &st, 0);
  }
  pthread_mutex_unlock(&mu);
}

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set, struct fuse_file_info *fi) {
  (void)fi;
  pthread_mutex_lock(&mu);
  node_t *n = node_get(ino);
  int err = 0;
  if (!n) err = ENOENT;
  else if ((to_set & FUSE_SET_ATTR_SIZE) && !is_file(n)) err = is_dir(n) ? EISDIR : EINVAL;
  if (!err) {
    struct timespec t = now();
    if (to_set & FUSE_SET_ATTR_MODE) n->mode = (n->mode & S_IFMT) | (attr->st_mode & 07777);
    if (to_set & FUSE_SET_ATTR_UID) n->uid = attr->st_uid;
    if (to_set & FUSE_SET_ATTR_GID) n->gid = attr->st_gid;
    if (to_set & FUSE_SET_ATTR_SIZE) content_truncate(n, attr->st_size);
    if (to_set & FUSE_SET_ATTR_ATIME) n->atime = attr->st_atim;
    if (to_set & FUSE_SET_ATTR_ATIME_NOW) n->atime = t;
    if (to_set & FUSE_SET_ATTR_MTIME) n->mtime = attr->st_mtim;
    if (to_set & FUSE_SET_ATTR_MTIME_NOW) n->mtime = t;
    n->ctime = (to_set & FUSE_SET_ATTR_CTIME) ? attr->st_ctim : t;
    struct stat st;
    fill_stat(n, &st);
    fuse_reply_attr(req, &st, 0);
  } else fuse_reply_err(req, err);
  pthread_mutex_unlock(&mu);
}

/* Adds a new node named `name` in `d`; the caller replies. */
static node_t *make_node(fuse_req_t req, node_t *d, const char *name, mode_t mode, int *err) {
  if ((*err = name_error(d, name))) return NULL;
  if (entries_find(&d->cur_entries, name)) {
    *err = EEXIST;
    return NULL;
  }
  const struct fuse_ctx *ctx = fuse_req_ctx(req);
  node_t *n = node_new(next_ino++, mode, ctx->uid, ctx->gid);
  if (is_dir(n)) {
    n->parent = d->ino;
    n->entries_dirty = false;
  }
  entries_add(&d->cur_entries, name, n->ino);
  n->cur_refs = 1;
  d->entries_dirty = true;
  d->mtime = d->ctime = now();
  return n;
}

static void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev) {
  (void)rdev;
  pthread_mutex_lock(&mu);
  node_t *d = dir_arg(req, parent);
  if (d) {
    int err = 0;
    node_t *n = S_ISREG(mode) ? make_node(req, d, name, S_IFREG | (mode & 07777), &err) : NULL;
    if (!S_ISREG(mode)) err = EPERM; /* regular files only */
    reply_entry(req, n, err);
  }
  pthread_mutex_unlock(&mu);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode) {
  pthread_mutex_lock(&mu);
  node_t *d = dir_arg(req, parent);
  if (d) {
    int err = 0;
    node_t *n = make_node(req, d, name, S_IFDIR | (mode & 07777), &err);
    reply_entry(req, n, err);
  }
  pthread_mutex_unlock(&mu);
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, struct fuse_file_info *fi) {
  pthread_mutex_lock(&mu);
  node_t *d = dir_arg(req, parent);
  if (d) {
    entry_t *existing = entries_find(&d->cur_entries, name);
    node_t *n = NULL;
    int err = 0;
    if (existing && (fi->flags & O_EXCL)) err = EEXIST;
    else if (existing) {
      n = node_get(existing->ino);
      if (is_dir(n)) {
        n = NULL;
        err = EISDIR;
      } else if (fi->flags & O_TRUNC) content_truncate(n, 0);
    } else n = make_node(req, d, name, S_IFREG | (mode & 07777), &err);
    if (!n) fuse_reply_err(req, err);
    else {
      struct fuse_entry_param e;
      entry_param(n, &e);
      fi->keep_cache = 1;
      n->nopen++;
      open_handles++;
      fuse_reply_create(req, &e, fi);
    }
  }
  pthread_mutex_unlock(&mu);
}

static void remove_entry(fuse_req_t req, fuse_ino_t parent, const char *name, bool want_dir) {
  pthread_mutex_lock(&mu);
  node_t *d = dir_arg(req, parent);
  if (d) {
    entry_t *e = entries_find(&d->cur_entries, name);
    node_t *n = e ? node_get(e->ino) : NULL;
    int err = 0;
    if (!n) err = ENOENT;
    else if (want_dir && !is_dir(n)) err = ENOTDIR;
    else if (!want_dir && is_dir(n)) err = EISDIR;
    else if (want_dir && n->cur_entries.n > 0) err = ENOTEMPTY;
    if (!err) {
      entries_remove(&d->cur_entries, e);
      n->cur_refs--;
      d->entries_dirty = true;
      d->mtime = d->ctime = n->ctime = now();
      maybe_free(n);
    }
    fuse_reply_err(req, err);
  }
  pthread_mutex_unlock(&mu);
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name) { remove_entry(req, parent, name, false); }
static void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name) { remove_entry(req, parent, name, true); }

static bool is_ancestor(fuse_ino_t maybe_ancestor, fuse_ino_t dir) {
  for (fuse_ino_t i = dir; i && i != FUSE_ROOT_ID; i = node_get(i) ? node_get(i)->parent : 0)
    if (i == maybe_ancestor) return true;
  return maybe_ancestor == FUSE_ROOT_ID;
}

static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent, const char *newname, unsigned int flags) {
  pthread_mutex_lock(&mu);
  node_t *d = dir_arg(req, parent);
  node_t *nd = d ? dir_arg(req, newparent) : NULL;
  if (d && nd) {
    int err = 0;
    entry_t *src = entries_find(&d->cur_entries, name);
    entry_t *dst = entries_find(&nd->cur_entries, newname);
    node_t *n = src ? node_get(src->ino) : NULL;
    node_t *old = dst ? node_get(dst->ino) : NULL;
    if (flags & ~(unsigned)RENAME_NOREPLACE) err = EINVAL; /* RENAME_EXCHANGE and whiteouts are not supported */
    else if (!n) err = ENOENT;
    else if (name_error(nd, newname)) err = name_error(nd, newname);
    else if (old == n) err = 0;
    else if (old && (flags & RENAME_NOREPLACE)) err = EEXIST;
    else if (old && is_dir(n) && !is_dir(old)) err = ENOTDIR;
    else if (old && !is_dir(n) && is_dir(old)) err = EISDIR;
    else if (old && is_dir(old) && old->cur_entries.n > 0) err = ENOTEMPTY;
    else if (is_dir(n) && is_ancestor(n->ino, nd->ino)) err = EINVAL;
    if (!err && old != n) {
      fuse_ino_t ino = n->ino;
      if (old) {
        entries_remove(&nd->cur_entries, dst);
        old->cur_refs--;
      }
      src = entries_find(&d->cur_entries, name); /* the removal above may have moved it */
      entries_remove(&d->cur_entries, src);
      entries_add(&nd->cur_entries, newname, ino);
      if (is_dir(n)) n->parent = nd->ino;
      d->entries_dirty = nd->entries_dirty = true;
      d->mtime = d->ctime = nd->mtime = nd->ctime = n->ctime = now();
      if (old) maybe_free(old);
    }
    fuse_reply_err(req, err);
  }
  pthread_mutex_unlock(&mu);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
  pthread_mutex_lock(&mu);
  node_t *n = node_get(ino);
  if (!n) fuse_reply_err(req, ENOENT);
  else if (is_dir(n)) fuse_reply_err(req, EISDIR);
  else if (ino == CONTROL_INO) {
    fi->direct_io = 1;
    fi->fh = (uint64_t)(uintptr_t)calloc(1, sizeof(control_handle_t));
    fuse_reply_open(req, fi);
  } else {
    if ((fi->flags & O_TRUNC) && (fi->flags & O_ACCMODE) != O_RDONLY) content_truncate(n, 0);
    fi->keep_cache = 1;
    n->nopen++;
    open_handles++;
    fuse_reply_open(req, fi);
  }
  pthread_mutex_unlock(&mu);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi) {
  pthread_mutex_lock(&mu);
  node_t *n = node_get(ino);
  if (ino == CONTROL_INO) {
    control_handle_t *h = (control_handle_t *)(uintptr_t)fi->fh;
    size_t from = (size_t)off < h->len ? (size_t)off : h->len;
    size_t len = h->len - from < size ? h->len - from : size;
    fuse_reply_buf(req, h->answer ? h->answer + from : NULL, len);
  } else if (!n || !is_file(n)) fuse_reply_err(req, n ? EISDIR : ENOENT);
  else if (off >= n->cur_size) fuse_reply_buf(req, NULL, 0);
  else {
    size_t len = (size_t)(n->cur_size - off) < size ? (size_t)(n->cur_size - off) : size;
    size_t count = len / PAGE + 2, used = 0, done = 0;
    struct iovec *iov = malloc(count * sizeof *iov);
    while (done < len) {
      off_t pos = off + (off_t)done;
      size_t page = (size_t)(pos / PAGE), in = (size_t)(pos % PAGE);
      size_t chunk = PAGE - in < len - done ? PAGE - in : len - done;
      const uint8_t *src = page < n->cur.n && n->cur.v[page] ? n->cur.v[page] : zero_page;
      iov[used].iov_base = (void *)(src + in);
      iov[used].iov_len = chunk;
      used++;
      done += chunk;
    }
    fuse_reply_iov(req, iov, (int)used);
    free(iov);
  }
  pthread_mutex_unlock(&mu);
}

static void control_command(control_handle_t *h, const char *command, size_t size);

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off, struct fuse_file_info *fi) {
  if (ino == CONTROL_INO) {
    /* Runs without the lock held: a drop takes it itself, and lets other threads serve the kernel meanwhile. */
    control_command((control_handle_t *)(uintptr_t)fi->fh, buf, size);
    fuse_reply_write(req, size);
    return;
  }
  pthread_mutex_lock(&mu);
  node_t *n = node_get(ino);
  if (!n || !is_file(n)) fuse_reply_err(req, n ? EISDIR : ENOENT);
  else {
    content_write(n, buf, size, off);
    /* Writeback of a shared mapping (SQLite's -shm) is not a write the program made at this moment. */
    if (!fi->writepage) {
      last_write.valid = true;
      last_write.ino = ino;
      last_write.off = off;
      last_write.len = size;
    }
    fuse_reply_write(req, size);
  }
  pthread_mutex_unlock(&mu);
}

static void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
  (void)ino;
  (void)fi;
  fuse_reply_err(req, 0);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
  pthread_mutex_lock(&mu);
  if (ino == CONTROL_INO) {
    control_handle_t *h = (control_handle_t *)(uintptr_t)fi->fh;
    free(h->answer);
    free(h);
  } else {
    node_t *n = node_get(ino);
    if (n && n->nopen) {
      n->nopen--;
      open_handles--;
      pthread_cond_broadcast(&released);
    }
    maybe_free(n);
  }
  pthread_mutex_unlock(&mu);
  fuse_reply_err(req, 0);
}

static void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi) {
  (void)datasync;
  (void)fi;
  pthread_mutex_lock(&mu);
  node_t *n = node_get(ino);
  if (n && is_file(n) && ino != CONTROL_INO) {
    content_sync(n);
    fsyncs++;
  }
  pthread_mutex_unlock(&mu);
  fuse_reply_err(req, n ? 0 : ENOENT);
}

/* A folder's entries as the kernel wants them, taken at opendir; ends[i] is where entry i ends (its offset). */
typedef struct {
  char *buf;
  size_t len;
  size_t *ends;
  size_t count;
} listing_t;

static void listing_add(fuse_req_t req, listing_t *l, const char *name, const node_t *n) {
  struct stat st;
  fill_stat(n, &st);
  size_t need = fuse_add_direntry(req, NULL, 0, name, NULL, 0);
  l->buf = realloc(l->buf, l->len + need);
  fuse_add_direntry(req, l->buf + l->len, need, name, &st, (off_t)(l->len + need));
  l->len += need;
  l->ends = realloc(l->ends, (l->count + 1) * sizeof *l->ends);
  l->ends[l->count++] = l->len;
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
  pthread_mutex_lock(&mu);
  node_t *d = dir_arg(req, ino);
  if (d) {
    listing_t *l = calloc(1, sizeof *l);
    listing_add(req, l, ".", d);
    node_t *up = node_get(d->parent ? d->parent : FUSE_ROOT_ID);
    listing_add(req, l, "..", up ? up : d);
    for (size_t i = 0; i < d->cur_entries.n; i++) listing_add(req, l, d->cur_entries.v[i].name, node_get(d->cur_entries.v[i].ino));
    fi->fh = (uint64_t)(uintptr_t)l;
    fuse_reply_open(req, fi);
  }
  pthread_mutex_unlock(&mu);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi) {
  (void)ino;
  listing_t *l = (listing_t *)(uintptr_t)fi->fh;
  /* Whole entries only, from the one starting at `off`. */
  size_t end = (size_t)off;
  for (size_t i = 0; i < l->count; i++)
    if (l->ends[i] > (size_t)off && l->ends[i] - (size_t)off <= size) end = l->ends[i];
  fuse_reply_buf(req, end > (size_t)off ? l->buf + off : NULL, end > (size_t)off ? end - (size_t)off : 0);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
  (void)ino;
  listing_t *l = (listing_t *)(uintptr_t)fi->fh;
  free(l->buf);
  free(l->ends);
  free(l);
  fuse_reply_err(req, 0);
}

static void op_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi) {
  (void)datasync;
  (void)fi;
  pthread_mutex_lock(&mu);
  node_t *d = node_get(ino);
  if (d && is_dir(d)) {
    entries_sync(d);
    dir_fsyncs++;
  }
  pthread_mutex_unlock(&mu);
  fuse_reply_err(req, d ? 0 : ENOENT);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino) {
  (void)ino;
  struct statvfs st = {0};
  st.f_bsize = st.f_frsize = PAGE;
  st.f_blocks = st.f_bfree = st.f_bavail = 1u << 24;
  st.f_files = st.f_ffree = st.f_favail = 1u << 20;
  st.f_namemax = 255;
  fuse_reply_statfs(req, &st);
}

/* ---------- the control file ---------- */

/* Marks every node reachable from the root through current entries; counts regular files. */
static void reach(node_t *dir) {
  dir->reached = true;
  for (size_t i = 0; i < dir->cur_entries.n; i++) {
    node_t *child = node_get(dir->cur_entries.v[i].ino);
    if (!child || child->reached) continue;
    child->reached = true;
    if (is_dir(child)) {
      child->parent = dir->ino;
      reach(child);
    }
  }
}

static void reach_all(void) {
  for (size_t i = 0; i < nodes_cap; i++)
    if (nodes[i]) nodes[i]->reached = false;
  reach(node_get(FUSE_ROOT_ID));
}

static bool path_of(node_t *dir, fuse_ino_t ino, text_t *path) {
  for (size_t i = 0; i < dir->cur_entries.n; i++) {
    size_t mark = path->len;
    text_add(path, "/%s", dir->cur_entries.v[i].name);
    if (dir->cur_entries.v[i].ino == ino) return true;
    node_t *child = node_get(dir->cur_entries.v[i].ino);
    if (child && is_dir(child) && path_of(child, ino, path)) return true;
    path->len = mark;
    path->s[mark] = '\0';
  }
  return false;
}

/* Records the path of every file reachable from `dir` (through current entries) in paths[ino]. */
static void collect_paths(node_t *dir, const char *prefix, char **paths, size_t cap) {
  for (size_t i = 0; i < dir->cur_entries.n; i++) {
    node_t *child = node_get(dir->cur_entries.v[i].ino);
    if (!child) continue;
    text_t path = {0};
    text_add(&path, "%s/%s", prefix, dir->cur_entries.v[i].name);
    if (is_dir(child) && child->ino != dir->ino) collect_paths(child, path.s, paths, cap);
    if (is_file(child) && child->ino < cap && !paths[child->ino]) {
      paths[child->ino] = path.s;
      continue;
    }
    free(path.s);
  }
}

static void stats_json(text_t *out) {
  uint64_t files = 0, dirs = 0, bytes = 0, unsynced_bytes = 0, unsynced_files = 0, unsynced_dirs = 0, open = 0;
  for (size_t i = CONTROL_INO + 1; i < nodes_cap; i++) {
    node_t *n = nodes[i];
    if (!n) continue;
    open += n->nopen;
    if (is_file(n) && n->cur_refs) {
      files++;
      bytes += (uint64_t)n->cur_size;
      unsynced_bytes += extent_bytes(n);
      if (n->content_dirty) unsynced_files++;
    }
    if (is_dir(n) && n->cur_refs) dirs++;
    if (is_dir(n) && n->entries_dirty) unsynced_dirs++;
  }
  if (node_get(FUSE_ROOT_ID)->entries_dirty) unsynced_dirs++;
  text_add(out,
           "{\"files\":%llu,\"dirs\":%llu,\"bytes\":%llu,\"unsyncedBytes\":%llu,\"unsyncedFiles\":%llu,"
           "\"unsyncedDirs\":%llu,\"openHandles\":%llu,\"fsyncs\":%llu,\"dirFsyncs\":%llu,\"drops\":%llu}",
           (unsigned long long)files, (unsigned long long)dirs, (unsigned long long)bytes, (unsigned long long)unsynced_bytes,
           (unsigned long long)unsynced_files, (unsigned long long)unsynced_dirs, (unsigned long long)open,
           (unsigned long long)fsyncs, (unsigned long long)dir_fsyncs, (unsigned long long)drops);
}

static void sync_all(void) {
  for (size_t i = FUSE_ROOT_ID; i < nodes_cap; i++) {
    node_t *n = nodes[i];
    if (!n || i == CONTROL_INO) continue;
    if (is_file(n)) content_sync(n);
    if (is_dir(n)) entries_sync(n);
  }
}

/* Asks the kernel to forget what it caches of these nodes (pages, sizes). Must run without the lock held. */
static void invalidate(fuse_ino_t *inos, size_t count) {
  for (size_t i = 0; i < count; i++) fuse_lowlevel_notify_inval_inode(session, inos[i], 0, 0);
}

/* Nodes the kernel knows of (and may cache), optionally only those whose content or entries are unsynced. */
static fuse_ino_t *known_nodes(size_t *count, bool only_unsynced) {
  fuse_ino_t *inos = malloc((nodes_cap + 1) * sizeof *inos);
  *count = 0;
  for (size_t i = FUSE_ROOT_ID; i < nodes_cap; i++) {
    node_t *n = nodes[i];
    if (!n || i == CONTROL_INO || !n->nlookup) continue;
    if (only_unsynced && !n->content_dirty && !n->entries_dirty) continue;
    inos[(*count)++] = n->ino;
  }
  return inos;
}

/* The power loss: everything not durable goes back to its durable state. Called with the lock held. */
static void drop(long long tear, bool has_tear, text_t *out, bool *changed_out) {
  /* Before: which regular files exist, how big, and what is unsynced in them. */
  reach_all();
  size_t cap = nodes_cap;
  bool *before = calloc(cap, sizeof *before);
  off_t *size_before = calloc(cap, sizeof *size_before);
  uint64_t *unsynced = calloc(cap, sizeof *unsynced);
  char **paths = calloc(cap, sizeof *paths);
  collect_paths(node_get(FUSE_ROOT_ID), "", paths, cap);
  uint64_t still_open = 0, dirs_reverted = 0;
  for (size_t i = CONTROL_INO + 1; i < cap; i++) {
    node_t *n = nodes[i];
    if (!n) continue;
    still_open += n->nopen;
    if (is_file(n) && n->reached) {
      before[i] = true;
      size_before[i] = n->cur_size;
      unsynced[i] = extent_bytes(n);
    }
  }
  /* The torn write's surviving bytes, taken before the content reverts. */
  uint8_t *torn = NULL;
  size_t torn_len = 0;
  fuse_ino_t torn_ino = 0;
  off_t torn_off = 0;
  size_t torn_of = 0;
  if (has_tear && last_write.valid && node_get(last_write.ino)) {
    node_t *n = node_get(last_write.ino);
    torn_ino = n->ino;
    torn_off = last_write.off;
    torn_of = last_write.len;
    torn_len = (size_t)tear < last_write.len ? (size_t)tear : last_write.len;
    torn = malloc(torn_len ? torn_len : 1);
    for (size_t k = 0; k < torn_len; k++) {
      off_t pos = torn_off + (off_t)k;
      size_t page = (size_t)(pos / PAGE);
      torn[k] = page < n->cur.n && n->cur.v[page] ? n->cur.v[page][pos % PAGE] : 0;
    }
  }
  /* Directories: current entries become the durable ones. */
  for (size_t i = FUSE_ROOT_ID; i < cap; i++) {
    node_t *d = nodes[i];
    if (!d || !is_dir(d) || !d->entries_dirty) continue;
    release_entries(&d->cur_entries, false);
    entries_copy(&d->cur_entries, &d->dur_entries);
    for (size_t k = 0; k < d->cur_entries.n; k++) node_get(d->cur_entries.v[k].ino)->cur_refs++;
    d->entries_dirty = false;
    d->mtime = d->ctime = now();
    dirs_reverted++;
  }
  /* Files: content goes back to the last fsync. */
  uint64_t reverted = 0;
  for (size_t i = CONTROL_INO + 1; i < cap; i++) {
    node_t *n = nodes[i];
    if (!n || !is_file(n) || !n->content_dirty) continue;
    content_revert(n);
    reverted++;
  }
  /* A directory nobody durably names is gone with everything in it. */
  reach_all();
  for (size_t i = CONTROL_INO + 1; i < cap; i++) {
    node_t *d = nodes[i];
    if (!d || !is_dir(d) || d->reached) continue;
    release_entries(&d->cur_entries, false);
    release_entries(&d->dur_entries, true);
    entries_clear(&d->cur_entries);
    entries_clear(&d->dur_entries);
  }
  /* The torn write lands, on disk too, if its file survived. */
  text_t torn_json = {0};
  bool landed = false;
  if (torn) {
    node_t *n = node_get(torn_ino);
    landed = n && n->reached;
    if (landed && torn_len > 0) {
      content_write(n, (const char *)torn, torn_len, torn_off);
      content_sync(n);
    }
    text_t path = {0};
    text_add(&path, "%s", "");
    bool found = n && n->reached && path_of(node_get(FUSE_ROOT_ID), torn_ino, &path);
    text_add(&torn_json, "{\"path\":");
    if (found) text_json_string(&torn_json, path.s);
    else text_add(&torn_json, "null");
    text_add(&torn_json, ",\"offset\":%lld,\"kept\":%llu,\"length\":%llu,\"landed\":%s}", (long long)torn_off,
             (unsigned long long)(found ? torn_len : 0), (unsigned long long)torn_of, found ? "true" : "false");
    free(path.s);
    free(torn);
  }
  /* What each file lost: all of it if its name vanished, else its unsynced bytes (less what a torn write kept). */
  uint64_t bytes = 0, files_dropped = 0, files_restored = 0, listed = 0;
  text_t per_file = {0};
  text_add(&per_file, "[");
  for (size_t i = CONTROL_INO + 1; i < cap; i++) {
    node_t *n = nodes[i];
    bool after = n && is_file(n) && n->reached;
    uint64_t lost = 0;
    if (before[i] && !after) {
      files_dropped++;
      lost = (uint64_t)size_before[i];
    } else if (before[i]) {
      lost = unsynced[i];
      if (landed && i == torn_ino) lost = lost >= torn_len ? lost - torn_len : 0;
    } else if (after) files_restored++;
    bytes += lost;
    if (lost > 0 && listed++ < 100) {
      text_add(&per_file, "%s{\"path\":", listed > 1 ? "," : "");
      text_json_string(&per_file, paths[i] ? paths[i] : "?");
      text_add(&per_file, ",\"bytes\":%llu,\"vanished\":%s}", (unsigned long long)lost, after ? "false" : "true");
    }
  }
  text_add(&per_file, "]");
  for (size_t i = CONTROL_INO + 1; i < cap; i++) maybe_free(nodes[i]);
  last_write.valid = false;
  drops++;
  text_add(out,
           "{\"bytesDropped\":%llu,\"filesDropped\":%llu,\"filesReverted\":%llu,\"filesRestored\":%llu,"
           "\"dirsReverted\":%llu,\"openHandles\":%llu,\"torn\":%s,\"files\":%s}",
           (unsigned long long)bytes, (unsigned long long)files_dropped, (unsigned long long)reverted,
           (unsigned long long)files_restored, (unsigned long long)dirs_reverted, (unsigned long long)still_open,
           torn_json.s ? torn_json.s : "null", per_file.s);
  *changed_out = reverted > 0 || dirs_reverted > 0;
  free(torn_json.s);
  free(per_file.s);
  for (size_t i = 0; i < cap; i++) free(paths[i]);
  free(paths);
  free(before);
  free(size_before);
  free(unsynced);
}

static void control_command(control_handle_t *h, const char *command, size_t size) {
  char line[256];
  size_t len = size < sizeof line - 1 ? size : sizeof line - 1;
  memcpy(line, command, len);
  line[len] = '\0';
  line[strcspn(line, "\r\n")] = '\0';
  text_t out = {0};
  long long tear = 0;
  char extra;
  if (strcmp(line, "stats") == 0) {
    pthread_mutex_lock(&mu);
    stats_json(&out);
    pthread_mutex_unlock(&mu);
  } else if (strcmp(line, "sync") == 0) {
    pthread_mutex_lock(&mu);
    sync_all();
    stats_json(&out);
    pthread_mutex_unlock(&mu);
  } else if (strcmp(line, "drop") == 0 || (sscanf(line, "drop tear=%lld%c", &tear, &extra) == 1 && tear >= 0)) {
    bool has_tear = strcmp(line, "drop") != 0;
    /* First the kernel writes back pages dirtied through shared mappings and forgets its cache, so nothing
       written before the power loss reaches this process after it. */
    size_t count;
    pthread_mutex_lock(&mu);
    fuse_ino_t *inos = known_nodes(&count, false);
    pthread_mutex_unlock(&mu);
    invalidate(inos, count);
    free(inos);
    bool changed = false;
    pthread_mutex_lock(&mu);
    /* A killed process's files are released by the kernel just after it dies; a handle still open after a second
       belongs to a process that outlived the power loss (reported as openHandles). */
    struct timespec deadline = now();
    deadline.tv_sec += 1;
    while (open_handles > 0 && pthread_cond_timedwait(&released, &mu, &deadline) == 0) {
    }
    drop(tear, has_tear, &out, &changed);
    inos = known_nodes(&count, false);
    pthread_mutex_unlock(&mu);
    if (changed) invalidate(inos, count);
    free(inos);
  } else {
    text_add(&out, "{\"error\":");
    text_json_string(&out, line);
    text_add(&out, "}");
  }
  pthread_mutex_lock(&mu);
  free(h->answer);
  h->answer = out.s;
  h->len = out.len;
  pthread_mutex_unlock(&mu);
}

/* ---------- start, save, stop ---------- */

static const char *mount_point;

/* When the owner's end of stdin closes (it exited or died), detach the mount so the loop ends. */
static void *watch_stdin(void *arg) {
  (void)arg;
  /* Signals belong to the loop's threads: a SIGTERM must wake the loop, not this read. */
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, NULL);
  char buf[64];
  while (read(STDIN_FILENO, buf, sizeof buf) > 0) {
  }
  umount2(mount_point, MNT_DETACH);
  return NULL;
}

static int save_dir(int dirfd, node_t *d) {
  int failures = 0;
  for (size_t i = 0; i < d->cur_entries.n; i++) {
    const char *name = d->cur_entries.v[i].name;
    node_t *n = node_get(d->cur_entries.v[i].ino);
    if (is_dir(n)) {
      if (mkdirat(dirfd, name, n->mode & 07777) != 0 && errno != EEXIST) {
        fprintf(stderr, "lossyfs: saving folder %s: %s\n", name, strerror(errno));
        failures++;
        continue;
      }
      int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY);
      if (fd < 0) {
        failures++;
        continue;
      }
      failures += save_dir(fd, n);
      close(fd);
      continue;
    }
    int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC, n->mode & 07777);
    if (fd < 0) {
      fprintf(stderr, "lossyfs: saving file %s: %s\n", name, strerror(errno));
      failures++;
      continue;
    }
    for (size_t p = 0; p < n->cur.n; p++) {
      if (!n->cur.v[p]) continue;
      off_t at = (off_t)p * PAGE;
      size_t len = n->cur_size - at < (off_t)PAGE ? (size_t)(n->cur_size - at) : PAGE;
      if (pwrite(fd, n->cur.v[p], len, at) != (ssize_t)len) failures++;
    }
    if (ftruncate(fd, n->cur_size) != 0) failures++;
    close(fd);
  }
  return failures;
}

static bool folder_empty(int fd) {
  DIR *dir = fdopendir(dup(fd));
  if (!dir) return false;
  bool empty = true;
  struct dirent *de;
  while ((de = readdir(dir)))
    if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) empty = false;
  closedir(dir);
  return empty;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: lossyfs <backing-dir> <mount-point>\n");
    return 2;
  }
  mount_point = argv[2];
  int backing = open(argv[1], O_RDONLY | O_DIRECTORY);
  if (backing < 0) {
    fprintf(stderr, "lossyfs: cannot open the backing folder %s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  if (!folder_empty(backing)) {
    fprintf(stderr, "lossyfs: the backing folder %s is not empty; lossyfs starts from an empty folder\n", argv[1]);
    return 1;
  }
  node_t *root = node_new(FUSE_ROOT_ID, S_IFDIR | 0755, getuid(), getgid());
  root->parent = FUSE_ROOT_ID;
  root->cur_refs = 1;
  node_t *control = node_new(CONTROL_INO, S_IFREG | 0600, getuid(), getgid());
  control->cur_refs = 1;

  char *fuse_argv[] = {argv[0], "-o", "fsname=lossyfs,subtype=lossyfs,default_permissions", NULL};
  struct fuse_args args = FUSE_ARGS_INIT(3, fuse_argv);
  struct fuse_lowlevel_ops ops = {
      .init = op_init,
      .lookup = op_lookup,
      .forget = op_forget,
      .forget_multi = op_forget_multi,
      .getattr = op_getattr,
      .setattr = op_setattr,
      .mknod = op_mknod,
      .mkdir = op_mkdir,
      .unlink = op_unlink,
      .rmdir = op_rmdir,
      .rename = op_rename,
      .open = op_open,
      .read = op_read,
      .write = op_write,
      .flush = op_flush,
      .release = op_release,
      .fsync = op_fsync,
      .opendir = op_opendir,
      .readdir = op_readdir,
      .releasedir = op_releasedir,
      .fsyncdir = op_fsyncdir,
      .statfs = op_statfs,
      .create = op_create,
  };
  session = fuse_session_new(&args, &ops, sizeof ops, NULL);
  if (!session) {
    fprintf(stderr, "lossyfs: fuse_session_new failed\n");
    return 1;
  }
  if (fuse_set_signal_handlers(session) != 0 || fuse_session_mount(session, mount_point) != 0) {
    fprintf(stderr, "lossyfs: cannot mount on %s\n", mount_point);
    return 1;
  }
  printf("ready\n");
  fflush(stdout);
  pthread_t watcher;
  pthread_create(&watcher, NULL, watch_stdin, NULL);
  pthread_detach(watcher);
  int loop = fuse_session_loop_mt(session, 0);
  fuse_session_unmount(session);
  fuse_remove_signal_handlers(session);
  /* A clean shutdown: what the file system holds now is written to the backing folder. */
  pthread_mutex_lock(&mu);
  int failures = save_dir(backing, root);
  pthread_mutex_unlock(&mu);
  close(backing);
  fuse_session_destroy(session);
  if (failures) fprintf(stderr, "lossyfs: %d file(s) could not be saved to %s\n", failures, argv[1]);
  return loop != 0 || failures ? 1 : 0;
}
