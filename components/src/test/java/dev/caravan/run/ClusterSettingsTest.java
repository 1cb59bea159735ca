package dev.caravan.run;

import com.hazelcast.config.Config;
import dev.caravan.dsl.WorkflowLoader;
import dev.caravan.state.HazelcastRunStore;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Cluster mode is configuration: Camel properties make embedded engines join one cluster. */
class ClusterSettingsTest {

    private static DefaultCamelContext context(String cluster) {
        DefaultCamelContext camel = new DefaultCamelContext();
        camel.getPropertiesComponent().addOverrideProperty("caravan.cluster.name", cluster);
        camel.getPropertiesComponent().addOverrideProperty("caravan.cluster.members", "127.0.0.1:5851, 127.0.0.1:5852");
        camel.getPropertiesComponent().addOverrideProperty("caravan.cluster.interface", "127.0.0.1");
        camel.getPropertiesComponent().addOverrideProperty("caravan.cluster.port", "5851");
        camel.getPropertiesComponent().addOverrideProperty("caravan.cluster.failure-timeout", "5s");
        return camel;
    }

    @Test
    void enginesGivenAMemberListFormOneClusterWithBackups() throws Exception {
        String cluster = "caravan-settings-" + UUID.randomUUID();
        try (DefaultCamelContext one = context(cluster); DefaultCamelContext two = context(cluster)) {
            one.start();
            two.start();
            Engine a = Engine.of(one);
            Engine b = Engine.of(two);
            assertThat(a.hazelcast().getCluster().getMembers()).hasSize(2);
            Config config = a.hazelcast().getConfig();
            assertThat(config.getMapConfig(HazelcastRunStore.MAP_NAME).getBackupCount()).isEqualTo(1);
            assertThat(config.getProperty("hazelcast.max.no.heartbeat.seconds")).isEqualTo("5");

            String flow = """
                    apiVersion: caravan.dev/v1
                    kind: Workflow
                    metadata:
                      name: shared
                    spec:
                      nodes:
                        - id: make
                          set: { n: 1 }
                    """;
            a.catalog().deploy(new WorkflowLoader().load("shared.caravan.yaml", flow));
            b.catalog().deploy(new WorkflowLoader().load("shared.caravan.yaml", flow));
            RunRecord r = a.runs().start(RunService.StartRequest.of("shared", Map.of())).get(10, TimeUnit.SECONDS);
            assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
            assertThat(b.queries().get(r.runId()).node("make").output()).isEqualTo(Map.of("n", 1));
        }
    }

    @Test
    void withoutClusterPropertiesAnEngineIsAlone() {
        ClusterSettings settings = ClusterSettings.from(new DefaultCamelContext().getPropertiesComponent());
        assertThat(settings.clustered()).isFalse();
        Config config = settings.config();
        assertThat(config.getNetworkConfig().getJoin().getTcpIpConfig().isEnabled()).isFalse();
        assertThat(config.getNetworkConfig().getJoin().getMulticastConfig().isEnabled()).isFalse();
        assertThat(config.getNetworkConfig().getInterfaces().getInterfaces()).containsExactly("127.0.0.1");
    }

    @Test
    void kubernetesDiscoveryUsesTheServiceEndpoints() {
        DefaultCamelContext camel = new DefaultCamelContext();
        camel.getPropertiesComponent().addOverrideProperty("caravan.cluster.kubernetes.service-name", "caravan-hz");
        camel.getPropertiesComponent().addOverrideProperty("caravan.cluster.kubernetes.namespace", "agents");
        Config config = ClusterSettings.from(camel.getPropertiesComponent()).config();
        assertThat(config.getClusterName()).isEqualTo("caravan");
        assertThat(config.getNetworkConfig().getJoin().getKubernetesConfig().isEnabled()).isTrue();
        assertThat(config.getNetworkConfig().getJoin().getKubernetesConfig().getProperties())
                .containsEntry("service-name", "caravan-hz").containsEntry("namespace", "agents");
        assertThat(config.getNetworkConfig().getJoin().getTcpIpConfig().isEnabled()).isFalse();
        assertThat(config.getMapConfig(HazelcastRunStore.MAP_NAME).getBackupCount()).isEqualTo(1);
    }
}
