// Gates that paused endpoints of the test servers wait for, so that a test
// can look at what reached the client while the backend is still busy,
// without timing: /open?gate=G opens gate G (in this server process).
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>

namespace testgates {

class Gates {
public:
    void open(const std::string& name) {
        std::lock_guard<std::mutex> lock(mu_);
        open_.insert(name);
        cv_.notify_all();
    }
    // Waits until `name` is opened (and closes it again), at most `max`.
    void wait(const std::string& name, std::chrono::milliseconds max) {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait_for(lock, max, [&] { return open_.count(name) > 0; });
        open_.erase(name);
    }

private:
    std::mutex mu_;
    std::condition_variable cv_;
    std::set<std::string> open_;
};

inline Gates& gates() {
    static Gates g;
    return g;
}

}  // namespace testgates
