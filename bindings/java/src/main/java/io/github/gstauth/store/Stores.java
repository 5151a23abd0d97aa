package io.github.gstauth.store;

import io.github.gstauth.Backend;
import io.github.gstauth.GstAuth;
import io.github.gstauth.SessionStore;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * A store from a location:
 * <pre>
 *   file:/var/lib/app/gstauth               FileStore (processes on one machine)
 *   redis://[user:password@]host:6379[/db]   RedisStore over a RedisClient (2 s timeouts; for TLS, give RedisStore a client)
 *   redis-cluster://h1:7001,h2:7002,...      RedisStore over a RedisClusterClient (Jedis 8's JedisCluster) seeded
 *                                            with those nodes
 * </pre>
 */
public final class Stores {
    private Stores() {
    }

    public static SessionStore open(String location) throws IOException {
        return open(location, GstAuth.backend());
    }

    public static SessionStore open(String location, Backend backend) throws IOException {
        if (location.startsWith("file:")) {
            String p = location.substring("file:".length());
            if (p.startsWith("//")) {
                p = URI.create(location).getPath();
            }
            return new FileStore(Path.of(p), backend, System::currentTimeMillis, true, Duration.ofSeconds(10));
        }
        if (location.startsWith("redis-cluster://")) {
            Set<redis.clients.jedis.HostAndPort> nodes = new LinkedHashSet<>();
            for (String h : location.substring("redis-cluster://".length()).split(",")) {
                h = h.trim();
                if (h.isEmpty()) {
                    continue;
                }
                int i = h.lastIndexOf(':');
                if (i < 0) {
                    throw new IllegalArgumentException("a cluster URL is redis-cluster://host:port,host:port,..., not " + location);
                }
                nodes.add(new redis.clients.jedis.HostAndPort(h.substring(0, i), Integer.parseInt(h.substring(i + 1))));
            }
            try {
                return new RedisStore(redis.clients.jedis.RedisClusterClient.builder().nodes(nodes).clientConfig(config())
                        .build(), true);
            } catch (redis.clients.jedis.exceptions.JedisException e) {
                // The cluster client reads the slots when it is made: no node answered.
                throw StoreUnavailableException.of("redis: the cluster " + nodes, e);
            }
        }
        if (location.startsWith("redis://")) {
            URI u = URI.create(location);
            return new RedisStore(redis.clients.jedis.RedisClient.builder()
                    .hostAndPort(u.getHost(), u.getPort() > 0 ? u.getPort() : 6379).clientConfig(config(location)).build(), true);
        }
        throw new IllegalArgumentException("a store is file:DIR, redis://host:port or redis-cluster://host:port,..., not "
                + location);
    }

    private static redis.clients.jedis.JedisClientConfig config() {
        return redis.clients.jedis.DefaultJedisClientConfig.builder().connectionTimeoutMillis(2000).socketTimeoutMillis(2000)
                .build();
    }

    private static redis.clients.jedis.JedisClientConfig config(String uri) {
        URI u = URI.create(uri);
        redis.clients.jedis.DefaultJedisClientConfig.Builder b = redis.clients.jedis.DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(2000).socketTimeoutMillis(2000);
        String path = u.getPath();
        if (path != null && path.length() > 1) {
            b.database(Integer.parseInt(path.substring(1)));
        }
        if (u.getUserInfo() != null) {
            String[] ui = u.getUserInfo().split(":", 2);
            if (ui.length == 2) {
                if (!ui[0].isEmpty()) {
                    b.user(ui[0]);
                }
                b.password(ui[1]);
            } else {
                b.password(ui[0]);
            }
        }
        return b.build();
    }
}
