//! The LRU lists of LRU hash maps: exact least-recently-used order over a hash table's slots.

/// Links hold a slot index plus one, so zeroed memory reads as "no link".
pub(super) const NIL: u32 = 0;

/// One LRU list (most recently used at the head).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct LruList {
    pub(super) head: u32,
    pub(super) tail: u32,
    pub(super) len: u32,
    pub(super) cap: u32,
}

pub(super) struct Lru {
    pub(super) prev: Vec<u32>,
    pub(super) next: Vec<u32>,
    pub(super) owner: Vec<u32>,
    pub(super) lists: Vec<LruList>,
}

impl Lru {
    pub(super) fn unlink(&mut self, s: usize) {
        let (p, n) = (self.prev[s], self.next[s]);
        let l = &mut self.lists[self.owner[s] as usize];
        if p == NIL {
            l.head = n;
        } else {
            self.next[p as usize - 1] = n;
        }
        if n == NIL {
            l.tail = p;
        } else {
            self.prev[n as usize - 1] = p;
        }
        l.len -= 1;
        self.prev[s] = NIL;
        self.next[s] = NIL;
    }

    pub(super) fn push_front(&mut self, s: usize, list: u32) {
        self.owner[s] = list;
        let l = &mut self.lists[list as usize];
        self.prev[s] = NIL;
        self.next[s] = l.head;
        if l.head == NIL {
            l.tail = s as u32 + 1;
        } else {
            self.prev[l.head as usize - 1] = s as u32 + 1;
        }
        l.head = s as u32 + 1;
        l.len += 1;
    }

    pub(super) fn touch(&mut self, s: usize) {
        let list = self.owner[s];
        self.unlink(s);
        self.push_front(s, list);
    }
}
