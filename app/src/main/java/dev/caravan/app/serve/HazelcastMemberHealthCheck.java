package dev.caravan.app.serve;

import com.hazelcast.core.HazelcastInstance;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

import java.util.Map;

/** Up while the engine's Hazelcast member runs: it holds every run's state. */
final class HazelcastMemberHealthCheck extends AbstractHealthCheck {

    private final HazelcastInstance member;

    HazelcastMemberHealthCheck(HazelcastInstance member) {
        super("caravan", "hazelcast-member");
        this.member = member;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        if (!member.getLifecycleService().isRunning()) {
            builder.message("the Hazelcast member is not running").down();
            return;
        }
        builder.detail("member", String.valueOf(member.getCluster().getLocalMember().getAddress()));
        builder.detail("cluster.size", member.getCluster().getMembers().size());
        builder.up();
    }
}
