/*
 * mock-cluster — offline stand-in for Kafka in System Design Lab.
 *
 * Starts librdkafka's built-in mock cluster (3 brokers, IN MEMORY, NOT DURABLE), pre-creates the
 * topics listed in KAFKA_TOPICS and runs until SIGTERM/SIGINT.
 *
 * librdkafka 2.0.2's mock brokers bind 127.0.0.1:<ephemeral> and advertise exactly that address in
 * their metadata; there is no API to change either. So this program interposes bind() and
 * getsockname() (the executable is linked with -rdynamic, and the dynamic linker resolves
 * librdkafka's calls to the first definition in the global scope: ours):
 *   - bind(AF_INET 127.0.0.1:0)  -> bind(0.0.0.0:KAFKA_MOCK_BASE_PORT + n), n = 0,1,2 per listener
 *   - getsockname() on such a listener reports <advertised IPv4>:<that port>
 * so broker n listens on every interface at a fixed port and advertises <container-ip>:<port>.
 *
 * Environment:
 *   KAFKA_TOPICS           comma list name:partitions (default accounts.events:4,posts.events:4,
 *                          subscriptions.events:4,billing.events:4; libs/events/src/topics.ts is
 *                          the list); replication factor is the broker count
 *   KAFKA_MOCK_BROKERS     number of brokers (default 3)
 *   KAFKA_MOCK_BASE_PORT   first listener port (default 9092)
 *   KAFKA_ADVERTISED_HOST  IPv4 address or resolvable name to advertise (default: this host's name,
 *                          resolved; falls back to the first non-loopback interface address)
 *   KAFKA_MOCK_DEBUG       librdkafka debug contexts, e.g. "mock" (default none)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#define MAX_LISTENERS 64

static pthread_mutex_t ip_lock = PTHREAD_MUTEX_INITIALIZER;
static int ip_active;                /* rewrite binds only while the cluster is being created */
static int ip_base_port = 9092;
static int ip_next;                  /* next listener index */
static struct in_addr ip_advertised; /* address reported by getsockname() */
static struct {
        int fd;
        uint16_t port;
} ip_listeners[MAX_LISTENERS];
static int ip_listener_cnt;

static int (*real_bind_fn)(int, const struct sockaddr *, socklen_t);
static int (*real_getsockname_fn)(int, struct sockaddr *, socklen_t *);

static void resolve_real(void) {
        if (!real_bind_fn)
                real_bind_fn = (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "bind");
        if (!real_getsockname_fn)
                real_getsockname_fn =
                    (int (*)(int, struct sockaddr *, socklen_t *))dlsym(RTLD_NEXT, "getsockname");
        if (!real_bind_fn || !real_getsockname_fn) {
                fprintf(stderr, "mock-cluster: dlsym(RTLD_NEXT) failed: %s\n", dlerror());
                abort();
        }
}

static int listener_port(uint16_t port) { /* caller holds ip_lock */
        for (int i = 0; i < ip_listener_cnt; i++)
                if (ip_listeners[i].port == port)
                        return 1;
        return 0;
}

static void listener_remember(int fd, uint16_t port) { /* caller holds ip_lock */
        for (int i = 0; i < ip_listener_cnt; i++)
                if (ip_listeners[i].fd == fd || ip_listeners[i].port == port) {
                        ip_listeners[i].fd   = fd;
                        ip_listeners[i].port = port;
                        return;
                }
        if (ip_listener_cnt < MAX_LISTENERS) {
                ip_listeners[ip_listener_cnt].fd     = fd;
                ip_listeners[ip_listener_cnt++].port = port;
        }
}

int bind(int fd, const struct sockaddr *addr, socklen_t len) {
        resolve_real();
        if (addr && addr->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
                const struct sockaddr_in *in = (const struct sockaddr_in *)addr;
                int rewrite                  = 0;
                uint16_t port                = 0;

                pthread_mutex_lock(&ip_lock);
                if (in->sin_port == 0 && in->sin_addr.s_addr == htonl(INADDR_LOOPBACK) && ip_active) {
                        /* A new mock broker listener. */
                        rewrite = 1;
                        port    = (uint16_t)(ip_base_port + ip_next++);
                } else if (in->sin_port != 0 && listener_port(ntohs(in->sin_port)) &&
                           (in->sin_addr.s_addr == ip_advertised.s_addr ||
                            in->sin_addr.s_addr == htonl(INADDR_LOOPBACK))) {
                        /* A broker brought up again re-binds the address we reported. */
                        rewrite = 1;
                        port    = ntohs(in->sin_port);
                }
                pthread_mutex_unlock(&ip_lock);

                if (rewrite) {
                        struct sockaddr_in any = *in;
                        int on                 = 1;
                        any.sin_addr.s_addr    = htonl(INADDR_ANY);
                        any.sin_port           = htons(port);
                        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
                        int r = real_bind_fn(fd, (const struct sockaddr *)&any, sizeof(any));
                        if (r == 0) {
                                pthread_mutex_lock(&ip_lock);
                                listener_remember(fd, port);
                                pthread_mutex_unlock(&ip_lock);
                        } else {
                                int e = errno;
                                fprintf(stderr, "mock-cluster: bind 0.0.0.0:%u failed: %s\n", port,
                                        strerror(e));
                                errno = e;
                        }
                        return r;
                }
        }
        return real_bind_fn(fd, addr, len);
}

int getsockname(int fd, struct sockaddr *addr, socklen_t *len) {
        resolve_real();
        int r = real_getsockname_fn(fd, addr, len);
        if (r != 0 || !addr || !len || *len < (socklen_t)sizeof(struct sockaddr_in) ||
            addr->sa_family != AF_INET)
                return r;

        struct sockaddr_in *in = (struct sockaddr_in *)addr;
        if (in->sin_addr.s_addr != htonl(INADDR_ANY))
                return r;

        pthread_mutex_lock(&ip_lock);
        int ours = 0;
        for (int i = 0; i < ip_listener_cnt; i++)
                if (ip_listeners[i].fd == fd && ip_listeners[i].port == ntohs(in->sin_port))
                        ours = 1;
        if (ours)
                in->sin_addr = ip_advertised;
        pthread_mutex_unlock(&ip_lock);
        return r;
}

/* ------------------------------------------------------------------------------------------------ */

static void die(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        fputs("mock-cluster: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
        exit(1);
}

static int first_ipv4_of(const char *name, struct in_addr *out) {
        struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res, *ai;
        if (getaddrinfo(name, NULL, &hints, &res) != 0)
                return 0;
        int found = 0;
        for (ai = res; ai && !found; ai = ai->ai_next) {
                struct in_addr a = ((struct sockaddr_in *)ai->ai_addr)->sin_addr;
                if ((ntohl(a.s_addr) >> 24) != 127) {
                        *out  = a;
                        found = 1;
                }
        }
        freeaddrinfo(res);
        return found;
}

static int first_interface_ipv4(struct in_addr *out) {
        struct ifaddrs *ifs, *i;
        int found = 0;
        if (getifaddrs(&ifs) != 0)
                return 0;
        for (i = ifs; i && !found; i = i->ifa_next) {
                if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || (i->ifa_flags & IFF_LOOPBACK) ||
                    !(i->ifa_flags & IFF_UP))
                        continue;
                *out  = ((struct sockaddr_in *)i->ifa_addr)->sin_addr;
                found = 1;
        }
        freeifaddrs(ifs);
        return found;
}

static void choose_advertised_address(void) {
        const char *env = getenv("KAFKA_ADVERTISED_HOST");
        char host[256]  = "";

        if (env && *env) {
                if (inet_pton(AF_INET, env, &ip_advertised) == 1)
                        return;
                if (first_ipv4_of(env, &ip_advertised))
                        return;
                die("KAFKA_ADVERTISED_HOST=%s is neither an IPv4 address nor a resolvable name", env);
        }
        if (gethostname(host, sizeof(host) - 1) == 0 && first_ipv4_of(host, &ip_advertised))
                return;
        if (first_interface_ipv4(&ip_advertised))
                return;
        fprintf(stderr, "mock-cluster: no non-loopback IPv4 address found; advertising 127.0.0.1\n");
        ip_advertised.s_addr = htonl(INADDR_LOOPBACK);
}

static int env_int(const char *name, int def, int min, int max) {
        const char *v = getenv(name);
        if (!v || !*v)
                return def;
        char *end;
        long n = strtol(v, &end, 10);
        if (*end || n < min || n > max)
                die("%s=%s: expected an integer in [%d, %d]", name, v, min, max);
        return (int)n;
}

static void create_topics(rd_kafka_mock_cluster_t *mc, int replication_factor) {
        const char *env = getenv("KAFKA_TOPICS");
        char *list      = strdup(env && *env ? env
                                             : "accounts.events:4,posts.events:4,subscriptions.events:4,billing.events:4");
        char *save      = NULL;

        for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                while (*tok == ' ')
                        tok++;
                if (!*tok)
                        continue;
                int partitions = 1;
                char *colon    = strchr(tok, ':');
                if (colon) {
                        *colon     = '\0';
                        char *end;
                        partitions = (int)strtol(colon + 1, &end, 10);
                        if (*end || partitions < 1 || partitions > 1000)
                                die("KAFKA_TOPICS: bad partition count for topic %s", tok);
                }
                rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(mc, tok, partitions, replication_factor);
                if (err)
                        die("cannot create topic %s: %s", tok, rd_kafka_err2str(err));
                printf("mock-cluster: topic %s partitions=%d replication=%d\n", tok, partitions,
                       replication_factor);
        }
        free(list);
}

int main(void) {
        char errstr[512];
        int brokers   = env_int("KAFKA_MOCK_BROKERS", 3, 1, 32);
        ip_base_port  = env_int("KAFKA_MOCK_BASE_PORT", 9092, 1, 65535 - brokers);
        const char *dbg = getenv("KAFKA_MOCK_DEBUG");

        setvbuf(stdout, NULL, _IOLBF, 0);
        resolve_real();
        choose_advertised_address();

        /* Block the stop signals before librdkafka starts threads, then wait for them below. */
        sigset_t stop;
        sigemptyset(&stop);
        sigaddset(&stop, SIGTERM);
        sigaddset(&stop, SIGINT);
        sigaddset(&stop, SIGHUP);
        pthread_sigmask(SIG_BLOCK, &stop, NULL);
        signal(SIGPIPE, SIG_IGN);

        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        if (dbg && *dbg && rd_kafka_conf_set(conf, "debug", dbg, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK)
                die("debug=%s: %s", dbg, errstr);
        rd_kafka_conf_set(conf, "client.id", "sdl-kafka-mock", errstr, sizeof(errstr));
        if (!dbg || !*dbg) /* hide the notice about the (intentionally) missing bootstrap.servers */
                rd_kafka_conf_set(conf, "log_level", "4", errstr, sizeof(errstr));
        rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (!rk)
                die("rd_kafka_new: %s", errstr);

        pthread_mutex_lock(&ip_lock);
        ip_active = 1;
        pthread_mutex_unlock(&ip_lock);
        rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
        pthread_mutex_lock(&ip_lock);
        ip_active = 0;
        int bound = ip_listener_cnt;
        pthread_mutex_unlock(&ip_lock);
        if (!mc)
                die("rd_kafka_mock_cluster_new failed (are ports %d..%d free?)", ip_base_port,
                    ip_base_port + brokers - 1);
        if (bound != brokers)
                die("bind() interposition did not take effect (%d of %d listeners rewritten); "
                    "was the binary linked with -rdynamic?",
                    bound, brokers);

        create_topics(mc, brokers);

        char ip[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &ip_advertised, ip, sizeof(ip));
        printf("mock-cluster: %d brokers listening on 0.0.0.0:%d-%d, advertised as %s\n", brokers,
               ip_base_port, ip_base_port + brokers - 1, rd_kafka_mock_cluster_bootstraps(mc));
        printf("\n"
               "################################################################################\n"
               "##  librdkafka %s MOCK KAFKA CLUSTER: IN-MEMORY AND NOT DURABLE.\n"
               "##  Every topic, message and committed offset is lost when this process exits.\n"
               "##  Offline stand-in only: use a real Kafka where a registry is reachable.\n"
               "################################################################################\n"
               "\n",
               rd_kafka_version_str());
        printf("mock-cluster: ready (advertised host %s)\n", ip);

        int sig = 0;
        while (sigwait(&stop, &sig) != 0)
                ;
        printf("mock-cluster: received signal %d (%s), shutting down\n", sig, strsignal(sig));
        rd_kafka_mock_cluster_destroy(mc);
        rd_kafka_destroy(rk);
        printf("mock-cluster: stopped\n");
        return 0;
}
