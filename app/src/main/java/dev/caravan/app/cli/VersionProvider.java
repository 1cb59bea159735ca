package dev.caravan.app.cli;

import picocli.CommandLine;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** {@code caravan --version}: the Caravan version and what it runs on. */
public final class VersionProvider implements CommandLine.IVersionProvider {

    @Override
    public String[] getVersion() {
        Properties p = new Properties();
        try (InputStream in = VersionProvider.class.getResourceAsStream("/dev/caravan/app/version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // fall through to "unknown"
        }
        return new String[] {
                "caravan " + p.getProperty("version", "unknown"),
                "Apache Camel " + p.getProperty("camel", "unknown") + ", Hazelcast " + p.getProperty("hazelcast", "unknown"),
                "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ", "
                        + System.getProperty("java.home") + ")"};
    }

    /** The Caravan version alone. */
    public static String version() {
        return new VersionProvider().getVersion()[0].substring("caravan ".length());
    }

    /** The Apache Camel version Caravan is built on, e.g. 4.17.0. */
    public static String camelVersion() {
        String line = new VersionProvider().getVersion()[1];
        return line.substring("Apache Camel ".length(), line.indexOf(','));
    }
}
