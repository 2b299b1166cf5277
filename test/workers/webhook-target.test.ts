// The webhook target check inside workerd, whose URL parser writes IPv6 hosts its own way; the
// Worker's subscription route and its delivery both call this one check.
import { webhookTargetSuite } from '../webhook-target-suite.ts';

webhookTargetSuite();
