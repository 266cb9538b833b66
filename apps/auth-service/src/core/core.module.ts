import { DynamicModule, Global, Module } from '@nestjs/common';
import { Clock, SystemClock } from '@keyhaven/config';
import { AUTH_CONFIG, AuthConfig } from '../config/auth.config';
import { KEY_RING_PROVIDER } from '../crypto/key-ring.provider';
import { KeyRing } from '../crypto/key-ring';
import { SecurityNotifier } from '../notifications/security-notifier';
import { SecurityEventsController } from '../security-events/security-events.controller';
import { SecurityEventRepository } from '../security-events/security-event.repository';
import { SecurityEventsService } from '../security-events/security-events.service';

/** What every feature of auth-service uses: config, time, the key ring, the audit trail, security mail. */
@Global()
@Module({})
export class CoreModule {
  static forRoot(config: AuthConfig, clock: Clock = new SystemClock()): DynamicModule {
    return {
      module: CoreModule,
      controllers: [SecurityEventsController],
      providers: [
        { provide: AUTH_CONFIG, useValue: config },
        { provide: Clock, useValue: clock },
        KEY_RING_PROVIDER,
        SecurityEventRepository,
        SecurityEventsService,
        SecurityNotifier,
      ],
      exports: [AUTH_CONFIG, Clock, KeyRing, SecurityEventRepository, SecurityEventsService, SecurityNotifier],
    };
  }
}
