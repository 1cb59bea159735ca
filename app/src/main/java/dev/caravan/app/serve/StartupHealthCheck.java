package dev.caravan.app.serve;

import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

import java.util.Map;

/**
 * Not ready until the server has started: its workflows deployed, the broker up, its own checks registered. Camel's
 * checks are up as soon as the context runs, which is before the server deploys its workflows; a pod marked ready then
 * would get requests for workflows it does not serve yet (404) during a rolling upgrade.
 */
final class StartupHealthCheck extends AbstractHealthCheck {

    private volatile boolean started;

    StartupHealthCheck() {
        super("caravan", "startup");
    }

    @Override
    public boolean isLiveness() {
        // starting is not being stuck: the startup probe gives it its time
        return false;
    }

    void started() {
        started = true;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        if (started) {
            builder.up();
        } else {
            builder.message("starting: deploying workflows").down();
        }
    }
}
