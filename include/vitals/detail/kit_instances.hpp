// vitals/detail/kit_instances.hpp - which label sets of a kit's families live kits own.
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_KIT_INSTANCES_HPP
#define VITALS_DETAIL_KIT_INSTANCES_HPP

#include <vitals/config.hpp>
#include <vitals/counter.hpp>
#include <vitals/detail/exclusive_lock.hpp>
#include <vitals/detail/kit_claim.hpp>
#include <vitals/detail/shared_mutex.hpp>
#include <vitals/error.hpp>
#include <vitals/family.hpp>

#include <cstddef>      // size_t
#include <cstdint>      // uint64_t
#include <shared_mutex> // shared_mutex, shared_lock
#include <string>       // string
#include <string_view>  // string_view
#include <vector>       // vector

VITALS_BEGIN_NAMESPACE
namespace detail {

/// The instances of one kind of kit (cache, queue) on one namespace of one registry: the
/// label values each instance was given (its const labels), so that a second kit with the
/// same namespace and labels is refused instead of silently sharing the first one's series;
/// and, for the cache kit, the counters its scrape-time hit rate is computed from.
///
/// Groups are found in a process-wide table by a key: the address of one of the kit's
/// families, unique while the registry lives, and the registry's serial number (see
/// detail::registry_serial()), since a kit may outlive its registry and its group with it,
/// and a later registry's families may take the same addresses. A group is reference
/// counted: each kit object and each copy of a collector that reads it hold a reference, and
/// the last release removes it from the table. Thread-safe; everything here allocates,
/// nothing is on a hot path.
class kit_instances {
public:
    struct member {
        std::vector<label> labels;       // the instance's label names and values
        const counter* hits = nullptr;   // cache kit: the hit rate's inputs
        const counter* misses = nullptr; //
        bool claimed = false;            // a live kit object owns these labels
        member* next = nullptr;          // the next instance in label order
    };

    kit_instances(const kit_instances&) = delete;
    kit_instances& operator=(const kit_instances&) = delete;

    /// The group of `key` in the registry numbered `serial`, created when there is none (then
    /// `*created` is true). The caller owns one reference.
    static kit_instances* acquire(const void* key, std::uint64_t serial, bool* created) {
        table& t = groups();
        exclusive_lock lock(t.mutex);
        for (kit_instances* g = t.first; g; g = g->next_) {
            if (g->key_ == key && g->serial_ == serial) {
                ++g->refs_;
                *created = false;
                return g;
            }
        }
        auto* g = new kit_instances(key, serial);
        g->next_ = t.first;
        t.first = g;
        *created = true;
        return g;
    }

    /// Another reference to this group (a copied collector).
    void add_ref() {
        table& t = groups();
        exclusive_lock lock(t.mutex);
        ++refs_;
    }

    /// Drops one reference; the last one deletes the group.
    void release() noexcept {
        table& t = groups();
        exclusive_lock lock(t.mutex);
        if (--refs_ != 0) return;
        for (kit_instances** link = &t.first; *link; link = &(*link)->next_) {
            if (*link == this) {
                *link = next_;
                break;
            }
        }
        delete this;
    }

    /// Claims the instance with these labels for a live kit object, or says why not: a live
    /// kit already has them (errc::conflicting_registration, the message naming `what`).
    /// A released instance is taken over, counters and all. Past `max_members` instances
    /// (the kit families' series bound, whose overflow series the kit's lookups then
    /// returned), the kit joins one shared instance whose label values are all
    /// `__overflow__` instead, claiming nothing (`*shared` is then true): the group, like
    /// the families, stays bounded however many label sets kits bring.
    /// `example` shows const labels that would tell this kit's instances apart.
    status claim(const std::vector<label>& labels, const counter* hits, const counter* misses,
                 const std::string& what, const char* example, std::size_t max_members,
                 bool* shared) {
        *shared = false;
        exclusive_lock lock(mutex_);
        member** link = find(labels);
        if (*link && compare((*link)->labels, labels) == 0) {
            if ((*link)->claimed)
                return status(errc::conflicting_registration,
                              what +
                                  " is already used by another kit object on this registry; "
                                  "give each instance its own const labels (for example " +
                                  example + ")");
            (*link)->claimed = true;
            return {};
        }
        auto* m = new member{labels, hits, misses, true, nullptr};
        if (size_ >= max_members) {
            *shared = true;
            for (label& l : m->labels) l.second = std::string(overflow_label_value);
            m->claimed = false;
            link = find(m->labels);
            if (*link && compare((*link)->labels, m->labels) == 0) {
                delete m;
                return {};
            }
        }
        m->next = *link;
        *link = m;
        ++size_;
        return {};
    }

    /// Gives the instance with these labels up (its series stay, and so does its hit rate).
    void unclaim(const std::vector<label>& labels) noexcept {
        exclusive_lock lock(mutex_);
        for (member* m = first_; m; m = m->next)
            if (compare(m->labels, labels) == 0) m->claimed = false;
    }

    /// Calls `fn(const member&)` for every instance, sorted by label values, under a reader
    /// lock: `fn` must not call back into this group.
    template <class Fn>
    void for_each(Fn&& fn) const {
        std::shared_lock<std::shared_mutex> lock(mutex_);
        for (const member* m = first_; m; m = m->next) fn(*m);
    }

private:
    // How two label lists sort: by name, then value, label by label, the shorter list first
    // when one starts the other (std::vector<label>'s operator<, written out: the containers'
    // comparison operators are costly to compile). Negative, zero or positive.
    static int compare(const std::vector<label>& a, const std::vector<label>& b) noexcept {
        const std::size_t n = a.size() < b.size() ? a.size() : b.size();
        for (std::size_t i = 0; i < n; ++i) {
            if (const int c = a[i].first.compare(b[i].first)) return c;
            if (const int c = a[i].second.compare(b[i].second)) return c;
        }
        return a.size() < b.size() ? -1 : a.size() > b.size() ? 1 : 0;
    }

    // The link that points at the first instance not sorted before `labels` (null at the end).
    // Groups and their instances are linked lists: a few kits each, and nothing here is on a
    // hot path.
    member** find(const std::vector<label>& labels) {
        member** link = &first_;
        while (*link && compare((*link)->labels, labels) < 0) link = &(*link)->next;
        return link;
    }

    struct table {
        shared_mutex mutex;
        kit_instances* first = nullptr;
    };
    // Never destroyed, so kits in static objects may release their groups at exit. One per
    // process, also for shared libraries built with hidden symbols: with a table per library,
    // a host's cache kit and its plugin's, in one namespace of one registry, made two groups,
    // each with its own hit-rate collector (the family written twice in every scrape), and
    // the same labels in both went unnoticed.
    VITALS_DETAIL_PROCESS_WIDE static table& groups() {
        struct holder { // see VITALS_DETAIL_PROCESS_WIDE
            table* const t;
        };
        static const holder h{new table()};
        return *h.t;
    }

    kit_instances(const void* key, std::uint64_t serial) : key_(key), serial_(serial) {}
    ~kit_instances() {
        while (member* m = first_) {
            first_ = m->next;
            delete m;
        }
    }

    const void* key_;
    std::uint64_t serial_;
    std::size_t refs_ = 1;          // guarded by the table's mutex
    kit_instances* next_ = nullptr; // the next group of the table, guarded by its mutex
    mutable shared_mutex mutex_;
    member* first_ = nullptr; // the instances, sorted by labels
    std::size_t size_ = 0;    // how many
};

/// A reference to a kit_instances group that copies and releases with the object holding it.
class kit_instances_ref {
public:
    kit_instances_ref() noexcept = default;
    kit_instances_ref(const kit_instances_ref& other) : g_(other.g_) {
        if (g_) g_->add_ref();
    }
    kit_instances_ref& operator=(const kit_instances_ref&) = delete;
    ~kit_instances_ref() {
        if (g_) g_->release();
    }
    /// Holds `g` (already referenced) instead, releasing the group held before.
    void reset(kit_instances* g) noexcept {
        if (g_) g_->release();
        g_ = g;
    }
    kit_instances* operator->() const noexcept { return g_; }

private:
    kit_instances* g_ = nullptr;
};

/// A kit object's place in its group: the group, held while the kit lives, and the labels it
/// claimed there, given up when the kit is destroyed (see kit_claim_ref).
struct kit_claim {
    kit_instances_ref group;
    std::vector<label> labels;
    bool claimed = false;

    /// Joins the group of `key` for the kit that owns `ref`, with the kit's const labels `own`
    /// (see kit_instances::acquire for `key`, `serial` and `created`); the kit holds the group
    /// from then on, claimed or not.
    static kit_claim& join(kit_claim_ref& ref, const void* key, std::uint64_t serial,
                           const std::vector<label>& own, bool* created) {
        // The labels are copied first: nothing may throw once they are claimed.
        auto* c = new kit_claim{kit_instances_ref(), own, false};
        ref.reset(c, &release);
        c->group.reset(kit_instances::acquire(key, serial, created));
        return *c;
    }

    /// Claims the kit's labels in the group (see kit_instances::claim); on success the kit
    /// gives them up when destroyed. Past `max_members` the kit shares the overflow instance
    /// and claims nothing.
    status claim(const counter* hits, const counter* misses, const std::string& what,
                 const char* example, std::size_t max_members) {
        bool shared = false;
        status st = group->claim(labels, hits, misses, what, example, max_members, &shared);
        claimed = st.ok() && !shared;
        return st;
    }

    static void release(kit_claim* c) noexcept {
        if (c->claimed) c->group->unclaim(c->labels);
        delete c;
    }
};

/// The label names of a kit's const labels, in order (the kit families' label names).
inline std::vector<std::string> kit_label_names(const std::vector<label>& labels) {
    std::vector<std::string> names;
    names.reserve(labels.size());
    for (const label& l : labels) names.push_back(l.first);
    return names;
}

/// How an error message names a kit instance: `cache kit "app" {cache="users"}`.
inline std::string kit_description(const char* kind, std::string_view ns,
                                   const std::vector<label>& labels) {
    std::string out = std::string(kind) + " kit \"" + std::string(ns) + '"';
    char sep = '{';
    for (const label& l : labels) {
        out += sep;
        sep = ',';
        out += l.first + "=\"" + l.second + '"';
    }
    if (!labels.empty()) out += '}';
    return out;
}

/// The label values of a kit's const labels, in order (its series in the kit families).
inline std::vector<std::string> kit_label_values(const std::vector<label>& labels) {
    std::vector<std::string> values;
    values.reserve(labels.size());
    for (const label& l : labels) values.push_back(l.second);
    return values;
}

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_DETAIL_KIT_INSTANCES_HPP
