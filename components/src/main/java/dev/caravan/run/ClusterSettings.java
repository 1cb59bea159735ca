package dev.caravan.run;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import dev.caravan.dsl.Durations;
import dev.caravan.state.HazelcastRunStore;
import dev.caravan.state.LaneStore;
import dev.caravan.state.ValueStore;
import org.apache.camel.spi.PropertiesComponent;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

/**
 * How an engine's Hazelcast member joins others, from Camel properties. With none set the member is embedded and
 * joins nothing. With {@code caravan.cluster.members} (a TCP/IP member list) or
 * {@code caravan.cluster.kubernetes.service-name} (Kubernetes discovery through the service's endpoints) members
 * form one cluster in which every run and lane record has a backup on another member, so losing a member loses no
 * record; a member silent for {@code caravan.cluster.failure-timeout} is declared dead and its runs are taken over.
 *
 * @param name                  the cluster name ({@code caravan.cluster.name}, default {@code caravan}); members of
 *                              other clusters are ignored
 * @param members               host or host:port of members to join ({@code caravan.cluster.members}, comma-separated)
 * @param kubernetesService     the Kubernetes service whose endpoints are the members
 *                              ({@code caravan.cluster.kubernetes.service-name})
 * @param kubernetesNamespace   its namespace ({@code caravan.cluster.kubernetes.namespace}; default: the pod's own)
 * @param bindInterface         the only interface to bind ({@code caravan.cluster.interface}, e.g. {@code 10.0.*.*}),
 *                              or null for Hazelcast's choice
 * @param port                  the first port to try ({@code caravan.cluster.port}, default 5701)
 * @param failureTimeout        how long a silent member stays a member ({@code caravan.cluster.failure-timeout},
 *                              default 10s)
 */
public record ClusterSettings(String name, List<String> members, String kubernetesService, String kubernetesNamespace,
        String bindInterface, int port, Duration failureTimeout) {

    /** The settings the Camel properties give. */
    public static ClusterSettings from(PropertiesComponent properties) {
        List<String> members = properties.resolveProperty("caravan.cluster.members")
                .map(s -> Arrays.stream(s.split(",")).map(String::strip).filter(m -> !m.isEmpty()).toList())
                .orElse(List.of());
        return new ClusterSettings(
                properties.resolveProperty("caravan.cluster.name").orElse("caravan"),
                members,
                properties.resolveProperty("caravan.cluster.kubernetes.service-name").orElse(null),
                properties.resolveProperty("caravan.cluster.kubernetes.namespace").orElse(null),
                properties.resolveProperty("caravan.cluster.interface").orElse(null),
                Integer.parseInt(properties.resolveProperty("caravan.cluster.port").orElse("5701")),
                Durations.parse(properties.resolveProperty("caravan.cluster.failure-timeout").orElse("10s")));
    }

    /** Whether the member joins a cluster, rather than running alone. */
    public boolean clustered() {
        return !members.isEmpty() || kubernetesService != null;
    }

    /** The member configuration: alone (a new, unique cluster name) or joining the cluster. */
    public Config config() {
        if (!clustered()) {
            return Engine.embeddedConfig("caravan-" + UUID.randomUUID());
        }
        Config config = base(name);
        config.getNetworkConfig().setPort(port).setPortAutoIncrement(true);
        if (bindInterface != null) {
            config.getNetworkConfig().getInterfaces().setEnabled(true).addInterface(bindInterface);
        }
        JoinConfig join = config.getNetworkConfig().getJoin();
        if (kubernetesService != null) {
            join.getKubernetesConfig().setEnabled(true).setProperty("service-name", kubernetesService);
            if (kubernetesNamespace != null) {
                join.getKubernetesConfig().setProperty("namespace", kubernetesNamespace);
            }
        } else {
            join.getTcpIpConfig().setEnabled(true).setMembers(members);
        }
        long seconds = Math.max(2, failureTimeout.toSeconds());
        config.setProperty("hazelcast.heartbeat.interval.seconds", "1");
        config.setProperty("hazelcast.max.no.heartbeat.seconds", String.valueOf(seconds));
        return backedUp(config);
    }

    /** A member that discovers nothing by itself: no multicast, no cloud auto-detection, no phone-home. */
    static Config base(String clusterName) {
        Config config = new Config();
        config.setClusterName(clusterName);
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.setProperty("hazelcast.logging.type", "slf4j");
        config.setProperty("hazelcast.partition.count", "31");
        config.setProperty("hazelcast.shutdownhook.enabled", "false");
        JoinConfig join = config.getNetworkConfig().getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        return config;
    }

    /** Every run and lane record, and every value runs reference, with a backup on one other member. */
    static Config backedUp(Config config) {
        config.getMapConfig(HazelcastRunStore.MAP_NAME).setBackupCount(1);
        config.getMapConfig(HazelcastRunStore.FINISHED_MAP_NAME).setBackupCount(1);
        config.getMapConfig(ValueStore.MAP_NAME).setBackupCount(1);
        config.getMapConfig(LaneStore.MAP_NAME).setBackupCount(1);
        return config;
    }
}
