import { Controller, Get, Query } from '@nestjs/common';
import { ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { Omittable } from '@keyhaven/errors';
import { OpsOnly } from '../app/ops-only.decorator';
import { AuditService } from './audit.service';

export class AuditQuery {
  @ApiPropertyOptional({ default: 100, maximum: 500 })
  @Omittable()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

@ApiTags('audit')
@Controller('v1/audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @OpsOnly()
  async list(@Query() query: AuditQuery) {
    const entries = await this.audit.recent(query.limit ?? 100);
    return {
      entries: entries.map((e) => ({
        id: e.id,
        at: e.at.toISOString(),
        actor: { sub: e.actorSub, email: e.actorEmail ?? null },
        action: e.action,
        subject: e.subject,
        before: e.before ?? null,
        after: e.after ?? null,
        sequence: e.sequence == null ? null : Number(e.sequence),
      })),
    };
  }
}
