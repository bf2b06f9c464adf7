// TopicTrie: the subscription index. A trie over topic segments with separate
// children for literal segments, `*` and `**` (the NATS sublist layout), so a
// match walks at most one literal branch and one `*` branch per segment
// instead of testing every pattern. Literal children are a vector sorted by
// segment hash; a match hashes each topic segment once.
//
// Values are pointers stored under patterns; one value may be stored under
// several patterns (a subscriber with a list of patterns), in which case a
// topic matching two of them yields the value twice: callers deduplicate.
//
// Not thread-safe: the bus guards it with a reader/writer lock. Matching
// allocates nothing but the output vector's growth.
#pragma once

#include <algorithm>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/hash.h"
#include "core/topic.h"

namespace chorus::bus {

template <typename T>
class TopicTrie {
 public:
  // REQUIRES: validate_pattern(pattern) is OK.
  void insert(std::string_view pattern, T* value) {
    Node* n = &root_;
    TopicSegments segs(pattern);
    for (size_t i = 0; i < segs.count(); ++i) {
      const std::string_view s = segs[i];
      if (s == "**") {
        n->double_star.push_back(value);
        ++size_;
        return;
      }
      std::unique_ptr<Node>& child = s == "*" ? n->star : n->literal_slot(s, hash_bytes(s));
      if (!child) child = std::make_unique<Node>();
      n = child.get();
    }
    n->here.push_back(value);
    ++size_;
  }

  // Removes one (pattern, value) entry; false when it was not there. Empty
  // branches are pruned so churn does not grow the trie.
  bool remove(std::string_view pattern, T* value) {
    TopicSegments segs(pattern);
    bool found = false;
    remove_at(root_, segs, 0, value, found);
    if (found) --size_;
    return found;
  }

  // Appends every value whose pattern matches `topic` (a valid topic).
  void match(std::string_view topic, std::vector<T*>& out) const {
    TopicSegments segs(topic);
    const size_t count = segs.count();
    if (count == 0) return;
    uint64_t hashes[kMaxTopicSegments];  // each segment hashed once per match
    for (size_t i = 0; i < count; ++i)
      hashes[i] = hash_bytes(segs[i]);
    // Iterative walk: (node, segments consumed).
    struct Step {
      const Node* node;
      size_t depth;
    };
    Step stack[2 * kMaxTopicSegments + 2];
    size_t top = 0;
    stack[top++] = {&root_, 0};
    while (top > 0) {
      const Step st = stack[--top];
      const Node* n = st.node;
      if (!n->double_star.empty() && st.depth < count)
        out.insert(out.end(), n->double_star.begin(), n->double_star.end());
      if (st.depth == count) {
        out.insert(out.end(), n->here.begin(), n->here.end());
        continue;
      }
      if (n->star) stack[top++] = {n->star.get(), st.depth + 1};
      if (!n->literal.empty()) {
        if (const Node* c = n->find_literal(segs[st.depth], hashes[st.depth]))
          stack[top++] = {c, st.depth + 1};
      }
    }
  }

  // (pattern, value) entries stored.
  size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }

  // Test hook: nodes in the trie, the root included (1 when fully pruned).
  size_t node_count() const { return count_nodes(root_); }

 private:
  struct Node;
  // A literal child, found by the segment's hash first.
  struct Literal {
    uint64_t hash;
    std::string key;
    std::unique_ptr<Node> node;
  };
  struct Node {
    std::vector<Literal> literal;  // sorted by (hash, key)
    std::unique_ptr<Node> star;
    std::vector<T*> here;         // patterns that end at this node
    std::vector<T*> double_star;  // patterns "<path to here>.**"

    bool empty() const { return literal.empty() && !star && here.empty() && double_star.empty(); }
    auto lower(std::string_view key, uint64_t hash) const {
      return std::lower_bound(literal.begin(), literal.end(), std::pair{hash, key},
                              [](const Literal& l, const std::pair<uint64_t, std::string_view>& k) {
                                return l.hash != k.first ? l.hash < k.first : l.key < k.second;
                              });
    }
    const Node* find_literal(std::string_view key, uint64_t hash) const {
      auto it = lower(key, hash);
      return it != literal.end() && it->hash == hash && it->key == key ? it->node.get() : nullptr;
    }
    std::unique_ptr<Node>& literal_slot(std::string_view key, uint64_t hash) {
      auto it = lower(key, hash);
      if (it != literal.end() && it->hash == hash && it->key == key)
        return literal[static_cast<size_t>(it - literal.begin())].node;
      auto pos = literal.insert(literal.begin() + (it - literal.begin()),
                                Literal{hash, std::string(key), nullptr});
      return pos->node;
    }
    void erase_literal(std::string_view key, uint64_t hash) {
      auto it = lower(key, hash);
      if (it != literal.end() && it->hash == hash && it->key == key)
        literal.erase(literal.begin() + (it - literal.begin()));
    }
  };

  static bool erase_one(std::vector<T*>& v, T* value) {
    auto it = std::find(v.begin(), v.end(), value);
    if (it == v.end()) return false;
    v.erase(it);
    return true;
  }

  // Returns true when `n` became empty (the caller then drops it).
  static bool remove_at(Node& n, const TopicSegments& segs, size_t i, T* value, bool& found) {
    if (i == segs.count()) {
      found = erase_one(n.here, value);
      return n.empty();
    }
    const std::string_view s = segs[i];
    if (s == "**") {
      found = erase_one(n.double_star, value);
      return n.empty();
    }
    if (s == "*") {
      if (n.star && remove_at(*n.star, segs, i + 1, value, found)) n.star.reset();
    } else {
      const uint64_t h = hash_bytes(s);
      if (Node* c = const_cast<Node*>(n.find_literal(s, h));
          c && remove_at(*c, segs, i + 1, value, found))
        n.erase_literal(s, h);
    }
    return n.empty();
  }

  static size_t count_nodes(const Node& n) {
    size_t c = 1;
    if (n.star) c += count_nodes(*n.star);
    for (const Literal& l : n.literal)
      if (l.node) c += count_nodes(*l.node);
    return c;
  }

  Node root_;
  size_t size_ = 0;
};

}  // namespace chorus::bus
