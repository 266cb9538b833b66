import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { ThrottlerGuard } from '@nestjs/throttler';
import { IsString, MaxLength } from 'class-validator';
import { Client, ClientInfo } from '../common/request-context';
import { Authenticated, CurrentUser, StepUp } from '../sessions/guards/auth.guards';
import type { TokenClaims } from '../sessions/token-claims';
import { PasswordChangeService } from './password-change.service';
import { ApiErrors } from '../app/auth-errors';

class ChangePasswordDto {
  @ApiProperty({ example: 'correct horse battery staple' })
  @IsString()
  @MaxLength(1024)
  currentPassword!: string;

  @ApiProperty({
    example: 'a new, longer passphrase',
    minLength: 8,
    description: 'the sign-up rules: 8 to 128 characters, not a common password, no control characters',
  })
  @IsString()
  @MaxLength(1024)
  newPassword!: string;
}

@ApiTags('accounts')
@Controller('v1/me/password')
export class PasswordController {
  constructor(private readonly passwords: PasswordChangeService) {}

  @Post()
  @HttpCode(200)
  @Authenticated()
  @StepUp()
  // It checks a password: the same per-IP limit as the sign-in routes.
  @UseGuards(ThrottlerGuard)
  @ApiOkResponse({
    description:
      '{revokedSessions, forgottenDevices}: the password is changed, every other session signed out, every remembered device forgotten; the owner is mailed.',
  })
  @ApiErrors(
    { code: 'invalid_credentials', when: 'the current password is wrong (audited)' },
    'weak_password',
    { code: 'password_managed_by_directory', when: 'a directory account: change it in the directory' },
    'step_up_required',
    'too_many_requests',
  )
  change(@CurrentUser() user: TokenClaims, @Body() body: ChangePasswordDto, @Client() client: ClientInfo) {
    return this.passwords.change(user, body.currentPassword, body.newPassword, client);
  }
}
